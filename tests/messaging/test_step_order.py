"""A run's emails leave in the order of its steps: a step's email whose previous step's email
is still queued, being handed over or held for approval waits (deferred, looked at again
shortly) and never overtakes it; once that one is settled (sent, unconfirmed, suppressed,
failed), it goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.models import Shop
from app.platform.resources import Resources
from app.queue import RetryJob
from app.settings import Settings
from tests.messaging.conftest import (
    CART_CONTEXT,
    Inbox,
    enqueue,
    make_customer,
    make_shop,
    reload,
    run_send_job,
)
from tests.messaging.test_sending import CrashAfterHandoff
from tests.support.sending import send_at_any_hour


async def _several_a_day(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> None:
    """A cap that lets a run's reminders go minutes apart (the default allows one a day)."""
    async with sessions.begin() as session:
        await send_at_any_hour(session, shop.id, max_per_day=10, max_per_week=10)


async def test_step_two_waits_for_step_one_then_both_leave_in_order(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    await _several_a_day(sessions, shop)
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer, step=1)
    second = await enqueue(sessions, config, shop, customer, step=2, context=CART_CONTEXT)

    # Step 1's job was lost (the sweeper finds it later); step 2's job runs first.
    before = datetime.now(UTC)
    assert await run_send_job(resources, second.id) == "queued"
    waiting = await reload(sessions, second.id)
    assert waiting.status_reason == f"waiting_for_previous_step:{first.id}"
    assert before < waiting.scheduled_at < before + timedelta(minutes=1)
    assert inbox.messages == []

    assert await run_send_job(resources, first.id) == "sent"
    # Step 2's own retry, once it is due: step 1 has gone, so it goes.
    transport = transport_from_settings(settings)
    later = waiting.scheduled_at + timedelta(seconds=1)
    assert (await deliver_message(sessions, transport, config, second.id, now=later)).status == (
        "sent"
    )
    sent_first, sent_second = await reload(sessions, first.id), await reload(sessions, second.id)
    assert [m["Message-ID"] for m in inbox.messages] == [
        sent_first.message_id_header,
        sent_second.message_id_header,
    ]


async def test_a_step_waits_while_the_previous_email_is_held_for_approval(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    await _several_a_day(sessions, shop)
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer, step=1, mode=DeliveryMode.APPROVAL)
    assert first.status == "pending_approval"
    second = await enqueue(sessions, config, shop, customer, step=2, context=CART_CONTEXT)

    assert await run_send_job(resources, second.id) == "queued"
    waiting = await reload(sessions, second.id)
    assert waiting.status_reason == f"waiting_for_previous_step:{first.id}"
    assert waiting.scheduled_at > datetime.now(UTC) + timedelta(minutes=4)
    assert inbox.messages == []


async def test_an_unconfirmed_hand_off_settles_the_step_for_the_next_one(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    await _several_a_day(sessions, shop)
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer, step=1)
    second = await enqueue(sessions, config, shop, customer, step=2, context=CART_CONTEXT)
    with pytest.raises(KeyboardInterrupt):
        await deliver_message(sessions, CrashAfterHandoff(settings), config, first.id)

    # Step 1 may still be in flight: step 2 waits.
    assert await run_send_job(resources, second.id) == "queued"
    assert (await reload(sessions, second.id)).status_reason == (
        f"waiting_for_previous_step:{first.id}"
    )
    with pytest.raises(RetryJob):
        await run_send_job(resources, first.id)

    # Long after, step 1 is unconfirmed (never sent again) and step 2 goes.
    later = datetime.now(UTC) + timedelta(minutes=10)
    transport = transport_from_settings(settings)
    assert (await deliver_message(sessions, transport, config, first.id, now=later)).status == (
        "unconfirmed"
    )
    assert (await deliver_message(sessions, transport, config, second.id, now=later)).status == (
        "sent"
    )
    assert len(inbox.messages) == 2
