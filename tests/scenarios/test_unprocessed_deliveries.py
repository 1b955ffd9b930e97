"""No reminder leaves once its order is stored: an order (or a completed checkout) whose
delivery is in the inbox but whose job was lost with Redis stops the due step and the
outbox's last check, long before the sweeper gets to the delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from app.models import WebhookEvent
from app.platform.resources import Resources
from jobs.scenarios import scan_due_steps
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.support.worker import job_context

# The first step waits long enough that it is not due before the test loses the jobs, even on
# a busy machine; the test then waits until it is due by the run's own time.
ONE_STEP = {
    "steps": {
        "1": {"delay_seconds": 3},
        "2": {"delay_seconds": 4, "enabled": False},
        "3": {"delay_seconds": 5, "enabled": False},
    }
}


async def _lose_every_job(store: Store) -> None:
    """Redis restarted empty: every queued job is gone, the inbox's rows stay."""
    redis = Redis.from_url(store.settings.redis)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def _unprocessed_topics(store: Store) -> list[str]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(WebhookEvent.topic)
            .where(WebhookEvent.status == "received")
            .order_by(WebhookEvent.id)
        )
        return list(rows)


async def _started(store: Store, email: str) -> tuple[dict[str, object], dict[str, object]]:
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email=email)
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work(horizon=0)  # the webhooks; the step waits 3 s in Redis
    return customer, checkout


async def _reason_labels(store: Store, code: str) -> tuple[str, str]:
    labels = []
    for locale in ("en", "fr"):
        response = await store.client.get(
            "/api/scenarios/labels", params={"locale": locale}, headers=store.headers
        )
        assert response.status_code == 200, response.text
        labels.append(response.json()["reasons"][code])
    return labels[0], labels[1]


async def test_an_order_stored_but_not_processed_stops_the_due_step(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    customer, checkout = await _started(store, "ida@example.test")
    token = str(checkout["token"])
    await store.deliver("orders/create", store.order_payload(customer, checkout_token=token))
    await _lose_every_job(store)  # the order's job and the step's
    assert await _unprocessed_topics(store) == ["orders/create"]

    await store.until_steps_due()  # the sweeper would wait 30 s for the order
    assert await scan_due_steps(job_context(resources)) == 1
    await store.work()

    assert inbox.messages == []
    run = await store.run(token)
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_placed_for_checkout")
    assert ("stopped", 1, "order_placed_for_checkout") in await store.timeline()
    assert await store.messages() == []
    # The order itself is still waiting for the sweeper: the stop came from its stored body.
    assert await _unprocessed_topics(store) == ["orders/create"]
    assert await _reason_labels(store, "order_placed_for_checkout") == (
        "An order was placed for this checkout",
        "Une commande a été passée pour ce paiement",
    )


async def test_a_held_reminder_is_suppressed_when_its_order_is_stored_but_not_processed(
    store: Store, inbox: Inbox
) -> None:
    await store.configure(
        mode="approval",
        steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}],
    )
    customer = store.customer_payload(email="jo@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    (held,) = await store.messages()
    assert held.status == "pending_approval"

    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=str(checkout["token"]))
    )
    await _lose_every_job(store)
    approved = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert approved.status_code == 200, approved.text
    await store.work()

    assert inbox.messages == []
    (message,) = await store.messages()
    assert (message.status, message.status_reason) == ("suppressed", "order_placed_for_checkout")
    assert ("message_suppressed", 1, "order_placed_for_checkout") in await store.timeline()
    assert await _unprocessed_topics(store) == ["orders/create"]


async def test_another_order_of_the_customer_stored_but_not_processed_stops_the_step(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    customer, checkout = await _started(store, "kim@example.test")
    # A guest order under the same email, from another checkout, placed after the abandonment.
    other = store.order_payload(
        customer, checkout_token=None, placed_at=datetime.now(UTC) + timedelta(seconds=1)
    )
    other["customer"] = None
    await store.deliver("orders/create", other)
    await _lose_every_job(store)

    await store.until_steps_due()
    assert await scan_due_steps(job_context(resources)) == 1
    await store.work()

    assert inbox.messages == []
    run = await store.run(str(checkout["token"]))
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "customer_placed_another_order")


async def test_a_completion_stored_but_not_processed_stops_the_step(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    customer, checkout = await _started(store, "lou@example.test")
    completed = store.checkout_payload(
        customer,
        token=str(checkout["token"]),
        updated_at=datetime.now(UTC) + timedelta(milliseconds=10),
        completed=True,
    )
    await store.deliver("checkouts/update", completed)
    await _lose_every_job(store)

    await store.until_steps_due()
    assert await scan_due_steps(job_context(resources)) == 1
    await store.work()

    assert inbox.messages == []
    run = await store.run(str(checkout["token"]))
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "checkout_completed")
    assert await _unprocessed_topics(store) == ["checkouts/update"]
