"""Recovered revenue and the report: only a reminder that actually left brings an order back;
the report counts the outbox's sent messages, and human opens and clicks apart from
machines'."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.models import ScenarioConversion
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox
from tests.messaging.test_sending import CrashAfterHandoff
from tests.scenarios.conftest import Store, html_part

ONE_STEP = {"steps": {"1": {"delay_seconds": 1}, "2": {"enabled": False}, "3": {"enabled": False}}}


async def _conversions(store: Store) -> list[ScenarioConversion]:
    async with store.sessions.begin() as session:
        return list(await session.scalars(select(ScenarioConversion)))


async def _report(store: Store) -> dict[str, object]:
    response = await store.client.get("/api/scenarios/abandoned_cart/report", headers=store.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_dry_run_draft_recovers_nothing(store: Store, inbox: Inbox) -> None:
    await store.configure(mode="dry_run", **ONE_STEP)
    customer = store.customer_payload(email="ada@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    (draft,) = await store.messages()
    assert draft.status == "draft"

    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.work()
    assert inbox.messages == []
    assert await _conversions(store) == []
    report = await _report(store)
    assert (report["messages_sent"], report["messages_drafted"]) == (0, 1)
    assert (report["orders_recovered"], report["revenue"]) == (0, "0")


async def test_a_reminder_awaiting_approval_recovers_nothing(store: Store, inbox: Inbox) -> None:
    await store.configure(mode="approval", **ONE_STEP)
    customer = store.customer_payload(email="bob@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    (held,) = await store.messages()
    assert held.status == "pending_approval"

    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.work()
    assert inbox.messages == []
    assert await _conversions(store) == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.last_step_sent_at is None
    # The order took the held reminder out of the approval queue: it will never go.
    (withdrawn,) = await store.messages()
    assert (withdrawn.status, withdrawn.status_reason) == (
        "suppressed",
        "order_placed_for_checkout",
    )
    report = await _report(store)
    assert (report["messages_sent"], report["messages_awaiting_approval"]) == (0, 0)
    assert report["orders_recovered"] == 0


async def test_a_sent_reminder_recovers_its_checkouts_order(store: Store, inbox: Inbox) -> None:
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email="cyd@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert len(inbox.messages) == 1
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.last_step_sent_at is not None  # set when the relay accepted it

    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.work()
    (conversion,) = await _conversions(store)
    assert conversion.attributed_via == "checkout_token"
    report = await _report(store)
    assert (report["messages_sent"], report["orders_recovered"]) == (1, 1)


async def test_a_reminder_sent_after_the_purchase_recovers_nothing(
    store: Store, inbox: Inbox
) -> None:
    # The shopper bought before the reminder left; the order's webhook only arrives after it
    # (a delivery lost and retried, a queue job lost): the reminder brought nothing back.
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email="eve@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    placed_at = datetime.now(UTC)
    await store.work()
    (sent,) = await store.messages()
    assert sent.status == "sent"
    assert sent.sent_at is not None
    assert sent.sent_at.replace(microsecond=0) > placed_at.replace(microsecond=0)

    await store.deliver(
        "orders/create",
        store.order_payload(customer, checkout_token=checkout["token"], placed_at=placed_at),
    )
    await store.work()
    assert await _conversions(store) == []
    report = await _report(store)
    assert (report["messages_sent"], report["orders_recovered"]) == (1, 0)


async def test_the_report_counts_human_opens_and_clicks_apart_from_machines(
    store: Store, inbox: Inbox
) -> None:
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email="dee@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    (sent,) = inbox.messages
    html = html_part(sent)
    pixel = re.search(r'src="http://testserver(/t/o/[^"]+)"', html)
    link = re.search(r'href="http://testserver(/t/c/[^"]+)"', html)
    assert pixel is not None
    assert link is not None
    person = {"User-Agent": "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15"}

    # Machines first: Apple's privacy proxy fetches the pixel, a scanner probes the link.
    proxied = await store.client.get(pixel.group(1), headers={"User-Agent": "Mozilla/5.0"})
    probed = await store.client.head(link.group(1), headers=person)
    assert (proxied.status_code, probed.status_code) == (200, 302)
    # Then the shopper, a while after delivery, opens twice and clicks once.
    await asyncio.sleep(2.1)
    for _ in range(2):
        opened = await store.client.get(pixel.group(1), headers=person)
        assert opened.status_code == 200
    clicked = await store.client.get(link.group(1), headers=person)
    assert clicked.status_code == 302

    report = await _report(store)
    assert report["messages_sent"] == 1
    assert report["opens"] == {"human": 2, "machine": 1, "messages": 1}
    assert report["clicks"] == {"human": 1, "machine": 1, "messages": 1}


async def test_an_unconfirmed_reminder_is_counted_apart_and_still_recovers_its_order(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    """The worker died between handing the reminder to the relay and recording the answer
    (the relay did get it): unconfirmed, not failed, in the report and the overview, and the
    order it brought back is attributed to it."""
    resources: Resources = app.state.resources
    await store.configure(mode="approval", **ONE_STEP)
    customer = store.customer_payload(email="una@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    (held,) = await store.messages()
    approved = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert approved.status_code == 200, approved.text
    with pytest.raises(KeyboardInterrupt):
        await deliver_message(
            store.sessions, CrashAfterHandoff(store.settings), resources.messaging, held.id
        )
    later = datetime.now(UTC) + timedelta(minutes=10)
    transport = transport_from_settings(store.settings)
    recovered = await deliver_message(
        store.sessions, transport, resources.messaging, held.id, now=later
    )
    assert (recovered.status, recovered.reason) == ("unconfirmed", "delivery_unconfirmed")
    assert len(inbox.messages) == 1  # the relay did get it, once
    assert ("message_unconfirmed", 1, "delivery_unconfirmed") in await store.timeline()

    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.work()
    assert [c.attributed_via for c in await _conversions(store)] == ["checkout_token"]
    report = await _report(store)
    assert (
        report["messages_sent"],
        report["messages_unconfirmed"],
        report["messages_failed"],
        report["orders_recovered"],
    ) == (0, 1, 0, 1)
    overview = await store.client.get("/api/scenarios", headers=store.headers)
    assert overview.status_code == 200, overview.text
    (cart,) = [s for s in overview.json() if s["key"] == "abandoned_cart"]
    assert cart["report"]["messages_unconfirmed"] == 1
    listed = await store.client.get(
        "/api/messages", params={"status": "unconfirmed"}, headers=store.headers
    )
    assert listed.status_code == 200, listed.text
    assert [(m["id"], m["status"]) for m in listed.json()["messages"]] == [(held.id, "unconfirmed")]
    labels = {}
    for locale in ("en", "fr"):
        response = await store.client.get(
            "/api/scenarios/labels", params={"locale": locale}, headers=store.headers
        )
        labels[locale] = response.json()["kinds"]["message_unconfirmed"]
    assert labels == {
        "en": "Email handed to the mail server, delivery unconfirmed",
        "fr": "E-mail remis au serveur de messagerie, distribution non confirmée",
    }
