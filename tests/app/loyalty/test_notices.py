"""The program's emails, queued by the loyalty_notices job and sent through the outbox to a real
SMTP server: a points digest paced per digest_hours, tier reached, enough points for a reward
once per threshold crossing; the merchant's mode for `loyalty` and the shopper's consent apply."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from time import time as time_now

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import content, service, still_true
from app.loyalty.jobs import NOTICES_JOB, WAITING_LOST_AFTER, notices_job, notices_job_at
from app.messaging.controls import (
    DeliveryMode,
    set_scenario_delivery,
)
from app.models import Customer, LoyaltyAccount, Message, PointsLedgerEntry, Shop, WebhookEvent
from app.platform.resources import Resources
from app.queue import JobContext
from app.queue.deferred import Job, take_deferred
from app.queue.interface import JobStatus
from app.settings import Settings
from jobs.loyalty import loyalty_notices
from jobs.messages import send_message
from jobs.webhook_events import process_webhook_event
from tests.app.loyalty.conftest import configure, customer_id, now
from tests.messaging.conftest import Inbox, make_customer, make_shop, start_inbox
from tests.support.commerce_payloads import paid_order
from tests.support.sending import send_at_any_hour
from tests.support.services import on_a_free_port
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.webhooks import deliver
from tests.support.worker import BATCHED_JOBS, run_worker_burst

TIERS = [{"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "100"}]
REWARDS = [
    {"key": "five_off", "cost": 100, "kind": "fixed_amount", "value": "5.00"},
    {"key": "ten_off", "cost": 300, "kind": "fixed_amount", "value": "10.00"},
]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler, controller = on_a_free_port(start_inbox)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "email_from": "Acme <shop@acme.test>",
        }
    )


@pytest.fixture
def resources(app: object) -> Resources:
    found: Resources = app.state.resources  # type: ignore[attr-defined]
    return found


async def _program(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    shop = await make_shop(sessions)
    async with sessions.begin() as session:
        # Several emails a day for this shopper: the cap is not what these tests are about.
        await send_at_any_hour(session, shop.id, max_per_day=20, max_per_week=50)
    await configure(sessions, shop.id, enabled=True, tiers=TIERS, rewards=REWARDS)
    return shop


async def _bonus(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    customer: Customer,
    points: int,
    key: str,
) -> None:
    async with sessions.begin() as session:
        await service.award_bonus(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            points=points,
            source_type="review",
            source_id=key,
            now=now(),
        )


def _context(resources: Resources) -> JobContext:
    return JobContext(job_id="test-notices", attempt=1, resources=resources)


async def _messages(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> list[Message]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Message)
                .where(Message.shop_id == shop.id, Message.scenario == content.PROGRAM_KEY)
                .order_by(Message.id)
            )
        )


async def _send_all(resources: Resources, messages: list[Message]) -> list[str]:
    return [
        await send_message(_context(resources), message.id)
        for message in messages
        if message.status == "queued"
    ]


async def test_points_tier_and_reward_emails_reach_the_shopper_once(
    resources: Resources, inbox: Inbox
) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    customer = await make_customer(sessions, shop, locale="fr")
    await _bonus(sessions, shop, customer, 80, "r1")
    await _bonus(sessions, shop, customer, 70, "r2")

    queued = await loyalty_notices(_context(resources), shop.id, customer.id)
    again = await loyalty_notices(_context(resources), shop.id, customer.id)

    assert sorted(queued) == [
        content.POINTS_DIGEST,
        content.TIER_REACHED,
        content.REWARD_REACHABLE,
    ]
    assert again == []
    messages = await _messages(sessions, shop)
    assert len(messages) == 3
    await _send_all(resources, messages)
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    assert subjects == [
        "Bienvenue au palier Argent chez Acme",
        "Vos 150 points vous offrent une récompense chez Acme",
        "Vous avez gagné 150 points chez Acme",
    ]
    reward_email = next(m for m in inbox.messages if "récompense" in str(m["Subject"]))
    assert "5,00\xa0€ de réduction" in reward_email.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_digest_adds_up_earnings_and_waits_for_its_pace(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], rewards=[])
    customer = await make_customer(sessions, shop)
    await _bonus(sessions, shop, customer, 10, "a")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.POINTS_DIGEST
    ]
    await _bonus(sessions, shop, customer, 20, "b")
    await _bonus(sessions, shop, customer, 30, "c")

    # Within the day: nothing more goes; the run says when it may.
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == []
    [first] = await _messages(sessions, shop)
    assert first.context["points_earned"] == 10

    # A day later, one digest of both.
    async with sessions.begin() as session:
        row = await session.get(Message, first.id)
        assert row is not None
        row.requested_at = row.requested_at - timedelta(hours=25)
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.POINTS_DIGEST
    ]
    _, second = await _messages(sessions, shop)
    assert second.context["points_earned"] == 50


async def test_a_reward_email_goes_again_only_after_the_balance_fell_below(
    resources: Resources,
) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], notices={"points_digest": False})
    customer = await make_customer(sessions, shop)
    await _bonus(sessions, shop, customer, 120, "a")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.REWARD_REACHABLE
    ]
    await _bonus(sessions, shop, customer, 10, "b")  # still the same threshold
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == []

    async with sessions.begin() as session:
        await service.adjust_points(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            delta=-100,
            reason="spent in store",
            actor=service.merchant_actor(1),
            key="spent",
            now=now(),
        )
    # No run in between: the fall below is read from the ledger all the same.
    await _bonus(sessions, shop, customer, 90, "c")  # 120 again: crossed again
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.REWARD_REACHABLE
    ]
    assert len(await _messages(sessions, shop)) == 2


async def test_dry_run_drafts_and_no_consent_suppresses(resources: Resources, inbox: Inbox) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    async with sessions.begin() as session:
        await set_scenario_delivery(
            session, shop.id, content.PROGRAM_KEY, mode=DeliveryMode.DRY_RUN, transactional=False
        )
    drafted = await make_customer(sessions, shop)
    unsubscribed = await make_customer(sessions, shop, state="unsubscribed")
    for customer in (drafted, unsubscribed):
        await _bonus(sessions, shop, customer, 150, f"r{customer.id}")
        await loyalty_notices(_context(resources), shop.id, customer.id)

    messages = await _messages(sessions, shop)
    statuses = {(m.customer_id, m.status) for m in messages}
    assert statuses == {(drafted.id, "draft"), (unsubscribed.id, "suppressed")}
    assert await _send_all(resources, messages) == []
    assert inbox.messages == []


async def test_a_ledger_movement_schedules_the_customers_notices_and_a_waiting_digest_its_run(
    resources: Resources,
) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], rewards=[])
    customer = await make_customer(sessions, shop)
    moment = now()
    async with resources.transaction() as session:  # deferred jobs go at its commit
        await service.award_bonus(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            points=10,
            source_type="review",
            source_id="a",
            now=moment,
        )
    scheduled = notices_job(shop.id, customer.id, moment)
    states = await resources.queue.job_states([scheduled.job_id])
    assert states[scheduled.job_id].status is JobStatus.QUEUED

    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.POINTS_DIGEST
    ]
    await _bonus(sessions, shop, customer, 20, "b")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == []
    [digest] = await _messages(sessions, shop)
    follow_up = notices_job_at(shop.id, customer.id, digest.requested_at + timedelta(hours=24))
    states = await resources.queue.job_states([follow_up.job_id])
    assert states[follow_up.job_id].status is JobStatus.QUEUED


async def test_a_tier_reached_again_after_a_drop_is_announced_again(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, rewards=[], notices={"points_digest": False})
    customer = await make_customer(sessions, shop)
    await _bonus(sessions, shop, customer, 150, "first")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.TIER_REACHED
    ]
    # A year and more later the window has rolled past those points: the nightly pass drops
    # the tier (the points stay), and nothing is announced.
    async with sessions.begin() as session:
        await session.execute(
            update(PointsLedgerEntry).values(
                created_at=PointsLedgerEntry.created_at - timedelta(days=400)
            )
        )
    async with sessions.begin() as session:
        await service.reevaluate_tiers(session, shop_id=shop.id, now=now())
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == []
    await _bonus(sessions, shop, customer, 120, "again")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.TIER_REACHED
    ]
    assert len(await _messages(sessions, shop)) == 2


async def test_an_approved_loyalty_email_is_checked_again_before_it_leaves(
    resources: Resources, inbox: Inbox, client: httpx.AsyncClient
) -> None:
    """Held for the merchant's approval, a reward email leaves after the click only if it is
    still true: the shopper who spent their points meanwhile gets nothing, the other gets it."""
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], notices={"points_digest": False})
    auth = bearer(mint_session_token(shop.domain))
    saved = await client.put("/api/loyalty/settings", headers=auth, json={"email_mode": "approval"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["email_mode"] == "approval"
    kept = await make_customer(sessions, shop, email="kept@example.test")
    spent = await make_customer(sessions, shop, email="spent@example.test")
    for customer in (kept, spent):
        await _bonus(sessions, shop, customer, 120, f"r{customer.id}")
        assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
            content.REWARD_REACHABLE
        ]
    held = await _messages(sessions, shop)
    assert {m.status for m in held} == {"pending_approval"}
    assert {m.context["points_spendable"] for m in held} == {120}

    # While the emails wait, one shopper spends 100 of their 120 points.
    async with sessions.begin() as session:
        await service.adjust_points(
            session,
            shop_id=shop.id,
            customer_id=spent.id,
            delta=-100,
            reason="spent in store",
            actor=service.merchant_actor(1),
            key="spent",
            now=now(),
        )
    for message in held:
        approved = await client.post(f"/api/approvals/{message.id}/approve", headers=auth)
        assert approved.status_code == 200, approved.text
    for message in held:
        await send_message(_context(resources), message.id)

    after = {m.customer_id: m for m in await _messages(sessions, shop)}
    assert after[kept.id].status == "sent"
    assert after[spent.id].status == "suppressed"
    assert after[spent.id].status_reason == still_true.BALANCE_FELL
    assert [str(m["To"]) for m in inbox.messages] == ["kept@example.test"]
    # Why, on the customer's timeline.
    timeline = await client.get(f"/api/customers/{spent.id}/timeline", headers=auth)
    dropped = [e for e in timeline.json()["entries"] if e["kind"] == "message_suppressed"]
    assert [e["reason"] for e in dropped] == [still_true.BALANCE_FELL]
    assert dropped[0]["reason_label"] == (
        "Not sent: the customer's points fell below what the email says"
    )


async def test_a_tier_email_held_for_approval_is_dropped_once_the_tier_is_left(
    resources: Resources, inbox: Inbox, client: httpx.AsyncClient
) -> None:
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, rewards=[], notices={"points_digest": False})
    async with sessions.begin() as session:
        await set_scenario_delivery(
            session, shop.id, content.PROGRAM_KEY, mode=DeliveryMode.APPROVAL, transactional=False
        )
    customer = await make_customer(sessions, shop)
    await _bonus(sessions, shop, customer, 150, "r1")
    assert await loyalty_notices(_context(resources), shop.id, customer.id) == [
        content.TIER_REACHED
    ]
    # The tier is taken away (its threshold raised past the customer) before the approval.
    await configure(
        sessions,
        shop.id,
        tiers=[{"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "1000"}],
    )
    async with sessions.begin() as session:
        await service.reevaluate_tiers(session, shop_id=shop.id, now=now())
    [message] = await _messages(sessions, shop)
    auth = bearer(mint_session_token(shop.domain))
    approved = await client.post(f"/api/approvals/{message.id}/approve", headers=auth)
    assert approved.status_code == 200, approved.text
    await send_message(_context(resources), message.id)
    [after] = await _messages(sessions, shop)
    assert (after.status, after.status_reason) == ("suppressed", still_true.TIER_LOST)
    assert inbox.messages == []


async def test_a_paid_order_within_the_digests_pace_leaves_its_notices_to_the_paces_end(
    resources: Resources, client: httpx.AsyncClient, settings: Settings
) -> None:
    """The first paid order's digest goes at once; the next order's earn, within the day,
    queues no notices job now (it would find nothing to send) but the one that runs when
    the pace ends, and no job for Shopify's copy of the points (written after the commit)."""
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], rewards=[])
    for order_id in (701, 702):
        body = paid_order(
            order_id=order_id, customer_id=5501, email="pace@example.com", subtotal="40.00"
        )
        assert (await deliver(client, "orders/paid", body, shop=shop.domain)).status_code == 200
        await run_worker_burst(settings)
        if order_id == 701:
            # The first order's notices job ran (and its result is kept a while by the queue).
            assert await resources.redis.keys("arq:result:loyalty_notices:*")
            await resources.redis.delete(*await resources.redis.keys("arq:result:*"))

    [digest] = await _messages(sessions, shop)
    assert digest.context["points_earned"] == 40
    customer = await customer_id(sessions, shop.id, 5501)
    waiting = notices_job_at(shop.id, customer, digest.requested_at + timedelta(hours=24))
    queued = [
        job_id.decode()
        for job_id in await resources.redis.zrange("boomerang:queue", 0, -1)
        if job_id.startswith(b"loyalty_notices:")
    ]
    assert queued == [waiting.job_id]
    assert await resources.redis.keys("arq:result:loyalty_notices:*") == []
    assert await resources.redis.keys("arq:result:sync_loyalty_customer:*") == []


async def _notices_jobs_queued(resources: Resources) -> dict[str, float]:
    return {
        job_id.decode(): score
        for job_id, score in await resources.redis.zrange("boomerang:queue", 0, -1, withscores=True)
        if job_id.startswith(b"loyalty_notices:")
    }


async def _notices_due_at(resources: Resources, shop: Shop, customer: int) -> datetime | None:
    async with resources.sessions() as session:
        return await session.scalar(
            select(LoyaltyAccount.notices_due_at).where(
                LoyaltyAccount.shop_id == shop.id, LoyaltyAccount.customer_id == customer
            )
        )


async def test_orders_behind_a_waiting_notices_job_defer_no_second_one(
    resources: Resources, client: httpx.AsyncClient, settings: Settings
) -> None:
    """A second paid order, processed in a later 5-second slot while the first order's notices
    job has not run yet (the queue is behind), defers no job of its own: the waiting one reads
    both orders. That run clears what the account recorded of it."""
    sessions = resources.sessions
    shop = await _program(sessions)
    await configure(sessions, shop.id, tiers=[], rewards=[])
    first = paid_order(order_id=801, customer_id=5601, email="burst@example.com", subtotal="40.00")
    assert (await deliver(client, "orders/paid", first, shop=shop.domain)).status_code == 200
    await run_worker_burst(settings, not_waiting_for=BATCHED_JOBS)
    customer = await customer_id(sessions, shop.id, 5601)
    [(waiting, score)] = (await _notices_jobs_queued(resources)).items()
    due_at = await _notices_due_at(resources, shop, customer)
    assert due_at is not None
    assert due_at.timestamp() * 1000 == pytest.approx(score)

    # The next order comes in a later slot, the first job still queued behind.
    await asyncio.sleep(max(0.0, due_at.timestamp() - time_now()) + 0.2)
    second = paid_order(order_id=802, customer_id=5601, email="burst@example.com", subtotal="25.00")
    assert (await deliver(client, "orders/paid", second, shop=shop.domain)).status_code == 200
    async with sessions() as session:
        event_row_id = await session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.shop_id == shop.id, WebhookEvent.status == "received"
            )
        )
    assert event_row_id is not None
    context = JobContext(job_id="test-second-order", attempt=1, resources=resources)
    assert await process_webhook_event(context, event_row_id) == "processed"
    assert list(await _notices_jobs_queued(resources)) == [waiting]

    assert await loyalty_notices(_context(resources), shop.id, customer) == [content.POINTS_DIGEST]
    [digest] = await _messages(sessions, shop)
    assert digest.context["points_earned"] == 65
    assert await _notices_due_at(resources, shop, customer) is None


@pytest.mark.parametrize(
    ("waiting_since", "deferred"),
    [(timedelta(minutes=1), False), (WAITING_LOST_AFTER + timedelta(minutes=1), True)],
)
async def test_a_bonus_behind_a_waiting_notices_job_defers_none_unless_that_job_is_lost(
    resources: Resources, waiting_since: timedelta, deferred: bool
) -> None:
    """A review's bonus points while the customer's notices job waits (due a minute ago, the
    queue behind): no second job. One due long ago is taken for lost: a new one goes."""
    sessions = resources.sessions
    shop = await _program(sessions)
    customer = await make_customer(sessions, shop)
    await _bonus(sessions, shop, customer, 10, "a")
    waiting = now() - waiting_since
    async with sessions.begin() as session:
        await session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == customer.id)
            .values(notices_due_at=waiting)
        )
        await service.award_bonus(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            points=20,
            source_type="review",
            source_id="b",
            now=now(),
        )
        taken = take_deferred(session)
    notices = [job for job in taken if isinstance(job, Job) and job.name == NOTICES_JOB]
    recorded = await _notices_due_at(resources, shop, customer.id)
    if deferred:
        [job] = notices
        assert recorded == job.defer_until
    else:
        assert notices == []
        assert recorded == waiting
