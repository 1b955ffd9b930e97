"""A sequence that stops takes its emails still waiting for approval out of the approval
queue: the merchant is never asked to approve a reminder for a cart already bought."""

from __future__ import annotations

import pytest

from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store


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
