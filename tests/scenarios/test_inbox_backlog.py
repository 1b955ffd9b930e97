"""The worker fell behind: more order and checkout deliveries wait in the inbox than the check
before a step or a send reads (INBOX_CHECK_LIMIT). Whether the cart was bought is then not
known, so the step is postponed and the reminder deferred, never sent and never dropped on a
partial view; once the backlog is processed the reminder goes, or the run stops when one of
those orders bought the cart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select

from app.models import Message, WebhookEvent
from app.platform.resources import Resources
from app.settings import Settings
from jobs.scenarios import scan_due_steps
from jobs.webhook_events import sweep_webhook_events
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.support.worker import job_context

# A check reads at most this many waiting order and checkout deliveries of the shop.
LIMIT = 3
ONE_STEP = {
    "steps": {
        "1": {"delay_seconds": 2},
        "2": {"delay_seconds": 3, "enabled": False},
        "3": {"delay_seconds": 4, "enabled": False},
    }
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "inbox_check_limit": LIMIT,
            "inbox_recheck_seconds": 1.0,
            # The backlog's lost jobs are re-enqueued by the sweeper as soon as it runs.
            "webhook_sweep_after_seconds": 0.0,
        }
    )


async def _lose_every_job(store: Store) -> None:
    """Redis restarted empty: every queued job is gone, the inbox's rows stay waiting (as
    behind a worker that cannot keep up)."""
    redis = Redis.from_url(store.settings.redis)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def _other_shoppers_order(store: Store, count: int) -> None:
    """`count` orders of other shoppers, delivered and stored, not processed yet."""
    for n in range(count):
        someone = store.customer_payload(email=f"someone{n}@example.test")
        await store.deliver("orders/create", store.order_payload(someone, checkout_token=None))


async def _unprocessed(store: Store) -> int:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(WebhookEvent.id).where(WebhookEvent.status == "received")
        )
        return len(list(rows))


async def _process_the_backlog(store: Store, resources: Resources) -> None:
    """The worker catches up: the sweeper re-enqueues the stored deliveries, the worker runs
    them and whatever they and the waiting step and send lead to."""
    report = await sweep_webhook_events(job_context(resources))
    assert report.enqueued > 0
    await store.work()
    assert await _unprocessed(store) == 0


async def _started(store: Store, email: str) -> tuple[dict[str, object], dict[str, object]]:
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email=email)
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work(horizon=0.5)  # the webhooks; the step waits 2 s in Redis
    return customer, checkout


async def _step_runs(store: Store, resources: Resources) -> datetime:
    """The step falls due and runs (its job was lost: the cron scan finds it). Returns when."""
    await asyncio.sleep(2.2)
    at = datetime.now(UTC)
    assert await scan_due_steps(job_context(resources)) == 1
    await store.work(horizon=0.2)  # the step only: its retry is a second away
    return at


async def _labels(store: Store, section: str, code: str) -> tuple[str, str]:
    labels = []
    for locale in ("en", "fr"):
        response = await store.client.get(
            "/api/scenarios/labels", params={"locale": locale}, headers=store.headers
        )
        assert response.status_code == 200, response.text
        labels.append(response.json()[section][code])
    return labels[0], labels[1]


async def _messages_to(store: Store, address: str) -> list[Message]:
    return [m for m in await store.messages() if m.to_address == address]


def _to(inbox: Inbox, address: str) -> list[str]:
    return [str(m["To"]) for m in inbox.messages if m["To"] == address]


async def test_a_due_step_waits_while_the_inbox_is_behind_then_sends(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    _, checkout = await _started(store, "nia@example.test")
    await _other_shoppers_order(store, LIMIT + 1)
    await _lose_every_job(store)

    checked = await _step_runs(store, resources)

    run = await store.run(str(checkout["token"]))
    assert run is not None
    assert (run.status, run.step_index) == ("active", 0)
    assert run.next_step_at is not None
    assert run.next_step_at > checked
    assert await store.messages() == []
    assert _to(inbox, "nia@example.test") == []
    postponed = [e for e in await store.timeline() if e[0] == "step_postponed"]
    assert postponed == [("step_postponed", 1, "inbox_behind")]
    assert await _labels(store, "kinds", "step_postponed") == ("Step postponed", "Étape reportée")
    en, fr = await _labels(store, "reasons", "inbox_behind")
    assert en.startswith("Orders from Shopify are still waiting to be processed")
    assert fr.startswith("Des commandes reçues de Shopify attendent encore")

    await _process_the_backlog(store, resources)

    assert _to(inbox, "nia@example.test") == ["nia@example.test"]
    (message,) = await _messages_to(store, "nia@example.test")
    assert message.status == "sent"
    run = await store.run(str(checkout["token"]))
    assert run is not None
    assert run.status == "completed"
    # Told once, not at every look while the worker caught up.
    assert [e for e in await store.timeline() if e[0] == "step_postponed"] == postponed


async def test_a_reminder_about_to_leave_is_deferred_while_the_inbox_is_behind_then_sent(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    await store.configure(
        mode="approval",
        steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}],
    )
    customer = store.customer_payload(email="jo@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    (held,) = await store.messages()
    assert held.status == "pending_approval"
    await _other_shoppers_order(store, LIMIT + 1)
    await _lose_every_job(store)

    approved = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert approved.status_code == 200, approved.text
    await store.work(horizon=0.2)  # the send only: the deferral is a second away

    (message,) = await store.messages()
    assert (message.status, message.status_reason) == ("queued", "inbox_behind")
    assert _to(inbox, "jo@example.test") == []
    assert ("message_deferred", 1, "inbox_behind") in await store.timeline()

    await _process_the_backlog(store, resources)

    assert _to(inbox, "jo@example.test") == ["jo@example.test"]
    (message,) = await _messages_to(store, "jo@example.test")
    assert message.status == "sent"


async def test_a_purchase_in_the_backlog_stops_the_postponed_step_once_processed(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    customer, checkout = await _started(store, "ode@example.test")
    token = str(checkout["token"])
    await _other_shoppers_order(store, LIMIT + 1)
    # Its order arrives behind the others: the check may not read it.
    await store.deliver("orders/create", store.order_payload(customer, checkout_token=token))
    await _lose_every_job(store)

    await _step_runs(store, resources)
    await _process_the_backlog(store, resources)

    run = await store.run(token)
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_placed_for_checkout")
    assert await store.messages() == []
    assert _to(inbox, "ode@example.test") == []


async def test_a_step_goes_when_every_waiting_delivery_is_read(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    """As many waiting deliveries as a check reads: it read them all, nothing is unknown."""
    resources: Resources = app.state.resources
    await _started(store, "pia@example.test")
    await _other_shoppers_order(store, LIMIT)
    await _lose_every_job(store)

    await _step_runs(store, resources)
    await store.work()

    assert _to(inbox, "pia@example.test") == ["pia@example.test"]
    assert not [e for e in await store.timeline() if e[0] == "step_postponed"]
    assert await _unprocessed(store) == LIMIT
