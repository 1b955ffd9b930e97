"""A sequence that stops takes its emails still waiting for approval out of the approval
queue: the merchant is never asked to approve a reminder for a cart already bought, nor one
of a scenario they paused or of an install they removed (not even once back on)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Customer
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store


async def _pending_ids(store: Store) -> list[int]:
    response = await store.client.get("/api/approvals", headers=store.headers)
    assert response.status_code == 200, response.text
    return [int(message["id"]) for message in response.json()]


@pytest.mark.parametrize(
    ("second_step", "run_after"),
    [
        # The run waits for its second reminder: the order stops it.
        ({"delay_seconds": 3600}, ("stopped", "order_placed_for_checkout")),
        # The held reminder was its last step: the run has completed, the email still waits.
        ({"enabled": False}, ("completed", None)),
    ],
    ids=["running", "last-step-taken"],
)
async def test_an_order_withdraws_the_held_reminder_from_the_approval_queue(
    store: Store, inbox: Inbox, second_step: dict[str, object], run_after: tuple[str, str | None]
) -> None:
    await store.configure(
        mode="approval",
        steps=[{"delay_seconds": 1}, second_step, {"enabled": False}],
    )
    bought = store.customer_payload(email="lou@example.test")
    waiting = store.customer_payload(email="max@example.test")
    checkouts = {}
    for customer in (bought, waiting):
        await store.deliver("customers/create", customer)
        checkouts[str(customer["email"])] = store.checkout_payload(customer)
        await store.deliver("checkouts/create", checkouts[str(customer["email"])])
    await store.work()
    held = {message.to_address: message for message in await store.messages()}
    assert {m.status for m in held.values()} == {"pending_approval"}
    assert sorted(await _pending_ids(store)) == sorted(m.id for m in held.values())

    token = str(checkouts["lou@example.test"]["token"])
    await store.deliver("orders/create", store.order_payload(bought, checkout_token=token))
    await store.work()

    messages = {message.to_address: message for message in await store.messages()}
    withdrawn = messages["lou@example.test"]
    assert (withdrawn.status, withdrawn.status_reason) == (
        "suppressed",
        "order_placed_for_checkout",
    )
    # The other shopper's reminder still waits for the merchant.
    assert messages["max@example.test"].status == "pending_approval"
    assert await _pending_ids(store) == [messages["max@example.test"].id]
    approved = await store.client.post(
        f"/api/approvals/{withdrawn.id}/approve", headers=store.headers
    )
    assert approved.status_code == 409, approved.text
    assert inbox.messages == []
    run = await store.run(token)
    assert run is not None
    assert (run.status, run.stop_reason) == run_after
    assert ("message_suppressed", 1, "order_placed_for_checkout") in await store.timeline()


async def _timeline_labels(store: Store, email: str, locale: str) -> list[tuple[str, str, str]]:
    """The customer's timeline through the admin API: (kind, reason, reason's label)."""
    async with store.sessions.begin() as session:
        customer_id = await session.scalar(select(Customer.id).where(Customer.email == email))
    assert customer_id is not None
    response = await store.client.get(
        f"/api/customers/{customer_id}/timeline?locale={locale}", headers=store.headers
    )
    assert response.status_code == 200, response.text
    return [(e["kind"], e["reason"], e["reason_label"]) for e in response.json()["entries"]]


async def _held_reminders(store: Store, *emails: str, second_step: dict[str, object]) -> None:
    """Each shopper's first reminder waits for the merchant's approval."""
    await store.configure(
        mode="approval",
        steps=[{"delay_seconds": 1}, second_step, {"enabled": False}],
    )
    for email in emails:
        customer = store.customer_payload(email=email)
        await store.deliver("customers/create", customer)
        await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert {m.status for m in await store.messages()} == {"pending_approval"}
    assert len(await _pending_ids(store)) == len(emails)


@pytest.mark.parametrize(
    "second_step",
    [{"delay_seconds": 3600}, {"enabled": False}],
    ids=["running", "last-step-taken"],
)
async def test_pausing_the_scenario_withdraws_its_held_reminders_for_good(
    store: Store, inbox: Inbox, second_step: dict[str, object]
) -> None:
    await _held_reminders(store, "lou@example.test", second_step=second_step)
    [held] = await store.messages()

    await store.configure(mode="paused")

    [withdrawn] = await store.messages()
    assert (withdrawn.status, withdrawn.status_reason) == ("suppressed", "scenario_paused")
    assert await _pending_ids(store) == []
    refused = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "MessageWithdrawn"
    assert refused.json()["reason"] == "scenario_paused"
    assert "The scenario is paused" in refused.json()["detail"]
    assert ("message_suppressed", "scenario_paused", "Le scénario est en pause") in (
        await _timeline_labels(store, "lou@example.test", "fr")
    )
    assert ("message_suppressed", "scenario_paused", "The scenario is paused") in (
        await _timeline_labels(store, "lou@example.test", "en")
    )

    # Back on: the withdrawn reminder does not come back to the queue, and nothing is sent.
    await store.configure(mode="approval")
    await store.work()
    assert await _pending_ids(store) == []
    refused = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"] == "MessageWithdrawn"
    [still] = await store.messages()
    assert (still.status, still.status_reason) == ("suppressed", "scenario_paused")
    assert inbox.messages == []


async def test_uninstalling_withdraws_every_held_reminder(store: Store, inbox: Inbox) -> None:
    await _held_reminders(
        store, "lou@example.test", "max@example.test", second_step={"delay_seconds": 3600}
    )
    held = [m.id for m in await store.messages()]

    await store.deliver("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP})
    await store.work()

    messages = await store.messages()
    assert {(m.status, m.status_reason) for m in messages} == {("suppressed", "shop_uninstalled")}
    # The merchant opens the app again (the session token reinstalls it): the queue is empty
    # and the old reminders cannot be approved.
    assert await _pending_ids(store) == []
    for message_id in held:
        refused = await store.client.post(
            f"/api/approvals/{message_id}/approve", headers=store.headers
        )
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "MessageWithdrawn"
        assert refused.json()["reason"] == "shop_uninstalled"
    await store.work()
    assert inbox.messages == []
    for email in ("lou@example.test", "max@example.test"):
        assert (
            "message_suppressed",
            "shop_uninstalled",
            "La boutique a désinstallé Boomerang",
        ) in (await _timeline_labels(store, email, "fr"))
        assert ("message_suppressed", "shop_uninstalled", "The shop uninstalled Boomerang") in (
            await _timeline_labels(store, email, "en")
        )
