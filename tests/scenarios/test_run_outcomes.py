"""The sequences list says which carts were recovered: a run whose sent reminder brought the
order back is `converted` (the admin shows it as "Recovered"); a run stopped by an order
placed before any reminder left is not (the admin shows "Ordered"), though it stopped for the
same reason."""

from __future__ import annotations

from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store, until


async def test_runs_say_whether_an_order_was_attributed_to_them(store: Store, inbox: Inbox) -> None:
    # Léa's first reminder leaves, then she orders that cart: recovered.
    lea, lea_checkout, worker = await store.running_sequence("lea@example.test", (1, 5, 6))
    await until(lambda: len(inbox.messages) >= 1)
    await store.deliver(
        "orders/create", store.order_payload(lea, checkout_token=lea_checkout["token"])
    )
    await worker
    # Sam orders his cart before the first reminder is due: he came back on his own.
    await store.configure(
        steps=[{"delay_seconds": 30}, {"delay_seconds": 60}, {"delay_seconds": 90}]
    )
    sam = store.customer_payload(email="sam@example.test", first_name="Sam")
    await store.deliver("customers/create", sam)
    await store.work(horizon=1)
    sam_checkout = store.checkout_payload(sam)
    await store.deliver("checkouts/create", sam_checkout)
    await store.work(horizon=1)
    await store.deliver(
        "orders/create", store.order_payload(sam, checkout_token=sam_checkout["token"])
    )
    await store.work(horizon=1)

    response = await store.client.get("/api/scenarios/abandoned_cart/runs", headers=store.headers)
    assert response.status_code == 200, response.text
    runs = {run["email"]: run for run in response.json()}
    assert {
        email: (run["status"], run["stop_reason"], run["converted"]) for email, run in runs.items()
    } == {
        "lea@example.test": ("stopped", "order_placed_for_checkout", True),
        "sam@example.test": ("stopped", "order_placed_for_checkout", False),
    }
    assert [m["To"] for m in inbox.messages] == ["lea@example.test"]
