"""Every guard rail between the outbox and an inbox: consent, frequency cap, quiet hours
(across DST), priority, approval, dry run, pauses and bounces."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging import signing
from app.messaging.config import MessagingConfig
from app.messaging.controls import (
    DEFAULT_POLICY,
    DeliveryMode,
    set_scenario_delivery,
    set_sending_policy,
)
from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.models import Customer, Message, Shop
from app.platform.composition import PLATFORM
from app.platform.resources import Resources
from app.settings import Settings
from tests.messaging.conftest import (
    Inbox,
    enqueue,
    make_customer,
    make_shop,
    reload,
    run_send_job,
    set_approval_mode,
)
from tests.support.session_tokens import bearer, mint_session_token


async def test_marketing_needs_subscribed_consent(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    for state in ("not_subscribed", "pending", "unsubscribed", "redacted", None):
        customer = await make_customer(sessions, shop, state=state)
        message = await enqueue(sessions, config, shop, customer, subject_key=f"c-{state}")
        assert message.status == "suppressed"
        assert message.status_reason == f"no_marketing_consent:{state or 'none'}"
        assert await run_send_job(resources, message.id) == "suppressed"
    assert inbox.messages == []


async def test_merchant_can_treat_cart_reminders_as_transactional(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    async with sessions.begin() as session:
        await set_scenario_delivery(
            session, shop.id, "abandoned_cart", mode=DeliveryMode.LIVE, transactional=True
        )
    customer = await make_customer(sessions, shop, state="not_subscribed")
    message = await enqueue(sessions, config, shop, customer)
    assert message.transactional is True
    assert await run_send_job(resources, message.id) == "sent"
    assert len(inbox.messages) == 1


async def test_frequency_cap_defers_the_second_marketing_email(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer)
    assert await run_send_job(resources, first.id) == "sent"
    second = await enqueue(sessions, config, shop, customer, scenario="winback", context={})
    assert await run_send_job(resources, second.id) == "queued"
    row = await reload(sessions, second.id)
    assert row.status_reason == "frequency_cap"
    sent = await reload(sessions, first.id)
    assert sent.sent_at is not None
    assert row.scheduled_at == sent.sent_at + timedelta(days=1)
    assert len(inbox.messages) == 1


async def test_quiet_hours_defer_to_the_next_morning_across_a_dst_change(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions, timezone="Europe/Paris", quiet_hours=True)
    customer = await make_customer(sessions, shop)
    # Saturday 28 March 2026, 21:30 in Paris (CET, UTC+1); clocks go forward that night.
    evening = datetime(2026, 3, 28, 20, 30, tzinfo=UTC)
    message = await enqueue(sessions, config, shop, customer, at=evening)
    transport = transport_from_settings(settings)
    result = await deliver_message(sessions, transport, config, message.id, now=evening)
    assert result.status == "queued"
    assert result.reason == "quiet_hours"
    row = await reload(sessions, message.id)
    # 08:00 on Sunday is CEST (UTC+2): 06:00 UTC, not 07:00.
    assert row.scheduled_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    assert inbox.messages == []
    # At 08:00 local it goes.
    morning = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    result = await deliver_message(sessions, transport, config, message.id, now=morning)
    assert result.status == "sent"


async def test_autumn_dst_change_keeps_eight_o_clock_local(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
) -> None:
    shop = await make_shop(sessions, timezone="Europe/Paris", quiet_hours=True)
    customer = await make_customer(sessions, shop)
    # Saturday 24 October 2026, 23:00 CEST; clocks go back that night.
    night = datetime(2026, 10, 24, 21, 0, tzinfo=UTC)
    message = await enqueue(sessions, config, shop, customer, at=night)
    await deliver_message(
        sessions, transport_from_settings(settings), config, message.id, now=night
    )
    row = await reload(sessions, message.id)
    assert row.scheduled_at == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET


async def test_cart_reminder_outranks_a_win_back_offer_due_at_the_same_time(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    customer = await make_customer(sessions, shop)
    now = datetime.now(UTC) - timedelta(seconds=5)
    win_back = await enqueue(
        sessions, config, shop, customer, scenario="winback", context={}, at=now
    )
    cart = await enqueue(sessions, config, shop, customer, at=now)
    assert await run_send_job(resources, win_back.id) == "queued"
    assert (await reload(sessions, win_back.id)).status_reason == f"outranked_by_message:{cart.id}"
    assert await run_send_job(resources, cart.id) == "sent"
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["X-Boomerang-Scenario"] == "abandoned_cart/1"


async def test_an_outranked_message_follows_within_a_minute_when_the_cap_allows(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    """Priority orders the emails due together; it does not space them: once the cart
    reminder left, the win-back offer goes at its next look, half a minute on, not minutes."""
    async with sessions.begin() as session:
        await set_sending_policy(
            session,
            shop.id,
            replace(DEFAULT_POLICY, quiet_start=time(0), quiet_end=time(0), max_per_day=2),
        )
    customer = await make_customer(sessions, shop)
    due = datetime.now(UTC) - timedelta(seconds=5)
    win_back = await enqueue(
        sessions, config, shop, customer, scenario="winback", context={}, at=due
    )
    cart = await enqueue(sessions, config, shop, customer, at=due)
    looked = datetime.now(UTC)
    assert await run_send_job(resources, win_back.id) == "queued"
    held = await reload(sessions, win_back.id)
    assert held.status_reason == f"outranked_by_message:{cart.id}"
    assert held.scheduled_at - looked <= timedelta(minutes=1)
    assert await run_send_job(resources, cart.id) == "sent"
    await deliver_message(
        sessions, transport_from_settings(settings), config, win_back.id, now=held.scheduled_at
    )
    after = await reload(sessions, win_back.id)
    assert (after.status, after.status_reason) == ("sent", None)
    assert [m["X-Boomerang-Scenario"] for m in inbox.messages] == [
        "abandoned_cart/1",
        "winback/1",
    ]


async def test_approval_mode_holds_until_the_merchant_approves_or_rejects(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    await set_approval_mode(client, auth)
    held = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    refused = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="other"
    )
    assert held.status == "pending_approval"
    assert await run_send_job(resources, held.id) == "pending_approval"
    assert inbox.messages == []

    listed = (await client.get("/api/approvals", headers=auth)).json()
    assert [m["id"] for m in listed] == [held.id, refused.id]

    edited = await client.put(
        f"/api/approvals/{held.id}", json={"subject": "A note from Acme"}, headers=auth
    )
    assert edited.json()["subject"] == "A note from Acme"
    unlinked = await client.put(f"/api/approvals/{held.id}", json={"text": "Hi"}, headers=auth)
    assert unlinked.status_code == 400
    assert unlinked.json()["detail"].startswith(
        "The plain-text body must keep the unsubscribe link (http://testserver/u/"
    )
    approved = await client.post(f"/api/approvals/{held.id}/approve", headers=auth)
    assert approved.json()["status"] == "queued"
    rejected = await client.post(f"/api/approvals/{refused.id}/reject", headers=auth)
    assert rejected.json()["status_reason"] == "rejected_by_merchant"

    assert await run_send_job(resources, held.id) == "sent"
    assert await run_send_job(resources, refused.id) == "suppressed"
    assert [m["Subject"] for m in inbox.messages] == ["A note from Acme"]
    again = await client.post(
        f"/api/approvals/{held.id}/approve", headers={**auth, "Accept-Language": "fr"}
    )
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"Le message {held.id} est au statut sent et n'attend plus de validation : "
        "rechargez la liste des validations."
    )


async def test_approve_all_and_another_shops_token_sees_nothing(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    other = await make_shop(sessions, domain="other.myshopify.com")
    for n in range(3):
        await enqueue(
            sessions,
            config,
            shop,
            await make_customer(sessions, shop),
            subject_key=f"k{n}",
            mode=DeliveryMode.APPROVAL,
        )
    foreign = bearer(mint_session_token(other.domain))
    assert (await client.get("/api/approvals", headers=foreign)).json() == []
    response = await client.post("/api/approvals/approve-all", json={}, headers=foreign)
    assert response.json() == {"approved": 0}
    response = await client.post("/api/approvals/approve-all", json={}, headers=auth)
    assert response.json() == {"approved": 3}


async def test_dry_run_stores_drafts_and_sends_nothing(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    async with sessions.begin() as session:
        await set_scenario_delivery(
            session, shop.id, "abandoned_cart", mode=DeliveryMode.DRY_RUN, transactional=False
        )
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    assert message.status == "draft"
    assert "Linen shirt" in message.html
    assert await run_send_job(resources, message.id) == "draft"
    assert inbox.messages == []


async def test_paused_scenario_suppresses_and_global_pause_holds(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    queued = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    await client.put("/api/scenarios/abandoned_cart", json={"mode": "paused"}, headers=auth)
    assert await run_send_job(resources, queued.id) == "suppressed"
    assert (await reload(sessions, queued.id)).status_reason == "scenario_paused"
    fresh = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="new"
    )
    assert fresh.status_reason == "scenario_paused"

    await client.put("/api/scenarios/abandoned_cart", json={"mode": "live"}, headers=auth)
    policy = {
        "paused": True,
        "max_per_day": DEFAULT_POLICY.max_per_day,
        "max_per_week": DEFAULT_POLICY.max_per_week,
        "quiet_start": "00:00",
        "quiet_end": "00:00",
    }
    assert (await client.put("/api/messaging/settings", json=policy, headers=auth)).is_success
    held = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="held"
    )
    assert await run_send_job(resources, held.id) == "queued"
    row = await reload(sessions, held.id)
    assert row.status_reason == "shop_paused"
    assert inbox.messages == []
    assert time(0) == time.fromisoformat(policy["quiet_start"])  # type: ignore[arg-type]


async def test_hard_bounce_reported_to_the_hook_suppresses_later_sends(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer)
    await run_send_job(resources, first.id)
    header = inbox.messages[0]["Message-ID"]
    body = (
        b'{"events": [{"type": "bounce", "bounce_type": "hard", "message_id": "'
        + header.encode()
        + b'"}]}'
    )
    forged = await client.post(
        "/hooks/email-events", content=body, headers={"X-Boomerang-Signature": "00"}
    )
    assert forged.status_code == 401
    signed = await client.post(
        "/hooks/email-events",
        content=body,
        headers={"X-Boomerang-Signature": signing.body_signature(body, config.events_key)},
    )
    assert signed.json() == {"received": 1, "matched": 1}
    later = await enqueue(sessions, config, shop, customer, scenario="winback", context={})
    assert later.status == "suppressed"
    assert later.status_reason == "bounced"


async def test_dsn_report_marks_the_address_bounced(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    customer = await make_customer(sessions, shop)
    first = await enqueue(sessions, config, shop, customer)
    await run_send_job(resources, first.id)
    header = inbox.messages[0]["Message-ID"]
    dsn = (
        "From: MAILER-DAEMON@relay.test\r\nTo: shop@acme.test\r\nSubject: Undelivered\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; relay.test\r\n\r\n"
        f"Final-Recipient: rfc822; {customer.email}\r\nAction: failed\r\n"
        "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {header}\r\nSubject: x\r\n\r\n"
        "--B--\r\n"
    ).encode()
    response = await client.post(
        "/hooks/email-events/dsn",
        content=dsn,
        headers={"X-Boomerang-Signature": signing.body_signature(dsn, config.events_key)},
    )
    assert response.json() == {"received": 1, "matched": 1}
    later = await enqueue(sessions, config, shop, customer, scenario="winback", context={})
    assert later.status_reason == "bounced"


SCENARIOS = sorted({scenario for scenario, _, _ in PLATFORM.templates.entries()})


async def _sent_at(
    sessions: async_sessionmaker[AsyncSession], message_id: int, when: datetime
) -> None:
    """Move a real send back in time: the cap reads what was sent, and when."""
    async with sessions.begin() as session:
        await session.execute(update(Message).where(Message.id == message_id).values(sent_at=when))


async def _three_sends_this_week(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    shop: Shop,
    customer: Customer,
    ages: tuple[timedelta, timedelta, timedelta],
) -> list[datetime]:
    """Three marketing emails from three scenarios, sent for real, then dated `ages` ago."""
    now = datetime.now(UTC)
    sent: list[datetime] = []
    for scenario, age in zip(
        ("abandoned_cart", "review_request", "loyalty_points"), ages, strict=True
    ):
        message = await enqueue(sessions, config, shop, customer, scenario=scenario, context={})
        assert await run_send_job(resources, message.id) == "sent"
        await _sent_at(sessions, message.id, now - age)
        sent.append(now - age)
    return sent


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_a_fourth_marketing_email_in_seven_days_waits_for_the_oldest_to_age_out(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
    scenario: str,
) -> None:
    customer = await make_customer(sessions, shop)
    if scenario == "loyalty":
        # The program's emails are re-checked as they leave: one of a program turned off
        # would be suppressed, not held by the cap.
        from app.loyalty import service as loyalty_service

        async with sessions.begin() as session:
            await loyalty_service.update_settings(session, shop.id, {"enabled": True})
    days = timedelta(days=1)
    oldest, _, latest = await _three_sends_this_week(
        sessions, resources, config, shop, customer, (6 * days, 4 * days, 2 * days)
    )
    # Two days since the last one: the daily cap would let it go, the weekly one does not.
    fourth = await enqueue(
        sessions, config, shop, customer, scenario=scenario, subject_key="fourth", context={}
    )
    assert await run_send_job(resources, fourth.id) == "queued"
    row = await reload(sessions, fourth.id)
    assert row.status_reason == "frequency_cap"
    assert row.scheduled_at == oldest + 7 * days
    assert latest + days < datetime.now(UTC)
    assert len(inbox.messages) == 3

    # Once the oldest send is a week old, it goes.
    later = oldest + 7 * days + timedelta(seconds=1)
    transport = transport_from_settings(resources.settings)
    result = await deliver_message(sessions, transport, config, fourth.id, now=later)
    assert result.status == "sent"
    assert len(inbox.messages) == 4


async def test_a_fourth_email_that_would_wait_more_than_three_days_is_dropped(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    customer = await make_customer(sessions, shop)
    hours = timedelta(hours=1)
    await _three_sends_this_week(
        sessions, resources, config, shop, customer, (72 * hours, 48 * hours, 25 * hours)
    )
    win_back = await enqueue(sessions, config, shop, customer, scenario="winback", context={})
    # Four days until a slot frees: a late offer does more harm than none.
    assert await run_send_job(resources, win_back.id) == "suppressed"
    assert (await reload(sessions, win_back.id)).status_reason == "frequency_cap"
    # A message the merchant made transactional is not marketing: the cap does not apply.
    async with sessions.begin() as session:
        await set_scenario_delivery(
            session, shop.id, "welcome", mode=DeliveryMode.LIVE, transactional=True
        )
    welcome = await enqueue(sessions, config, shop, customer, scenario="welcome", context={})
    assert await run_send_job(resources, welcome.id) == "sent"
    assert len(inbox.messages) == 4
