"""The customer's timeline tells every decision about a reminder: queued, sent once the relay
accepted it, held, deferred, suppressed (with the reason), failed, rejected; and sequences
stopped by a pause or an uninstall name the customer. Read through the admin API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.models import Customer
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store

# Steps 2 and 3, off, come due after the worker's horizon: their skips are not entries these
# tests look at, and on a busy machine they came before the first step's sent email.
ONE_STEP = {
    "steps": {
        "1": {"delay_seconds": 1},
        "2": {"delay_seconds": 60, "enabled": False},
        "3": {"delay_seconds": 61, "enabled": False},
    }
}


async def _customer_id(store: Store, email: str) -> int:
    async with store.sessions.begin() as session:
        found = await session.scalar(select(Customer.id).where(Customer.email == email))
    assert found is not None
    return int(found)


async def _timeline(store: Store, email: str, locale: str = "en") -> list[dict[str, Any]]:
    customer_id = await _customer_id(store, email)
    response = await store.client.get(
        f"/api/customers/{customer_id}/timeline?locale={locale}", headers=store.headers
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return list(reversed(entries))  # oldest first


def _kinds(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["kind"], e["reason"]) for e in entries]


async def test_a_sent_reminder_is_queued_then_sent_with_labels(store: Store, inbox: Inbox) -> None:
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email="ana@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert len(inbox.messages) == 1
    entries = await _timeline(store, "ana@example.test", locale="fr")
    assert _kinds(entries)[:3] == [
        ("started", "checkout_abandoned"),
        ("step_queued", "checkout_not_completed"),
        ("message_sent", "smtp_accepted"),
    ]
    # Every code has its label, here in French.
    for entry in entries:
        assert entry["kind_label"] != entry["kind"], entry
        assert entry["reason_label"] != entry["reason"], entry
    assert entries[2]["kind_label"] == "E-mail envoyé"


async def test_a_rejected_reminder_is_on_the_timeline(store: Store, inbox: Inbox) -> None:
    await store.configure(mode="approval", **ONE_STEP)
    customer = store.customer_payload(email="ben@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    (held,) = await store.messages()
    rejected = await store.client.post(f"/api/approvals/{held.id}/reject", headers=store.headers)
    assert rejected.status_code == 200, rejected.text
    kinds = _kinds(await _timeline(store, "ben@example.test"))
    assert ("step_awaiting_approval", "checkout_not_completed") in kinds
    assert ("message_rejected", "rejected_by_merchant") in kinds
    assert inbox.messages == []


async def test_a_refused_and_a_postponed_delivery_are_on_the_timeline(
    store: Store, inbox: Inbox
) -> None:
    """The test SMTP server answers 550 to bounce-* and 451 to later-* recipients."""
    await store.configure(**ONE_STEP)
    for email in ("bounce-cal@example.test", "later-dan@example.test"):
        customer = store.customer_payload(email=email)
        await store.deliver("customers/create", customer)
        await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert inbox.messages == []
    refused = _kinds(await _timeline(store, "bounce-cal@example.test"))
    assert ("message_failed", "smtp") in refused
    # The hard bounce suppressed the address: the next cart's reminder is not even queued.
    bounced = store.customer_payload(email="bounce-cal@example.test")
    await store.deliver("checkouts/create", store.checkout_payload(bounced))
    await store.work()
    assert ("step_suppressed", "bounced") in _kinds(
        await _timeline(store, "bounce-cal@example.test")
    )
    postponed = await _timeline(store, "later-dan@example.test")
    (deferral,) = [e for e in postponed if e["kind"] == "message_deferred"]
    assert deferral["reason"] == "smtp_transient"
    assert deferral["detail"]["until"] is not None
    assert deferral["reason_label"] == "The mail server asked to try again later"


async def test_pause_and_uninstall_stops_name_the_customer(store: Store, inbox: Inbox) -> None:
    _customer, _checkout, worker = await store.running_sequence("fay@example.test", (8, 9, 10))
    await store.configure(mode="paused")
    await worker
    paused = [e for e in await _timeline(store, "fay@example.test") if e["kind"] == "stopped"]
    assert [(e["reason"], e["step"]) for e in paused] == [("scenario_paused", 1)]

    await store.configure(mode="live")
    _customer, _checkout, worker = await store.running_sequence("gus@example.test", (8, 9, 10))
    await store.deliver("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP})
    await worker
    stopped = [e for e in await _timeline(store, "gus@example.test") if e["kind"] == "stopped"]
    assert [e["reason"] for e in stopped] == ["shop_uninstalled"]
    assert inbox.messages == []
