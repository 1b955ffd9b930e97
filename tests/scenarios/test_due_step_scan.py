"""The cron scan finds the due steps a lost job left (a Redis flush here), pages through a
backlog of any size, and never makes a step run twice."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from redis.asyncio import Redis

from app.platform.resources import Resources
from jobs.scenarios import enqueue_due_steps, scan_due_steps
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.support.worker import job_context

# The first step waits long enough that no step is due before the test loses the jobs, even
# on a busy machine (the webhooks of five shoppers processed first); the test then waits until
# the steps are due by their runs' own times, not by a fixed sleep.
ONE_STEP = {
    "steps": {
        "1": {"delay_seconds": 3},
        "2": {"delay_seconds": 4, "enabled": False},
        "3": {"delay_seconds": 5, "enabled": False},
    }
}


async def _lose_every_job(store: Store) -> None:
    redis = Redis.from_url(store.settings.redis)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def _started(store: Store, emails: list[str]) -> None:
    """Runs started for these shoppers, their first step deferred in Redis (3 s ahead)."""
    await store.configure(**ONE_STEP)
    for email in emails:
        customer = store.customer_payload(email=email)
        await store.deliver("customers/create", customer)
        await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work(horizon=0)  # the webhooks only


async def test_a_step_lost_with_redis_is_found_by_the_scan_and_sent_once(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    await _started(store, ["ava@example.test"])
    await _lose_every_job(store)
    await store.until_steps_due()
    await store.work()
    assert inbox.messages == []  # nothing left in the queue to run it

    assert await scan_due_steps(job_context(resources)) == 1
    await store.work()
    assert [m["To"] for m in inbox.messages] == ["ava@example.test"]

    # Scanning again (and again) finds nothing more to send.
    await scan_due_steps(job_context(resources))
    await store.work(horizon=3)
    await scan_due_steps(job_context(resources))
    await store.work()
    assert len(inbox.messages) == 1


async def test_the_scan_pages_through_a_backlog_larger_than_a_page(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    emails = [f"shopper{n}@example.test" for n in range(5)]
    await _started(store, emails)
    await _lose_every_job(store)
    await store.until_steps_due()
    # Pages of 2: three pages, every due step enqueued once.
    assert await enqueue_due_steps(resources, datetime.now(UTC), batch=2) == 5
    assert await enqueue_due_steps(resources, datetime.now(UTC), batch=2) == 0  # same job ids
    await store.work()
    assert sorted(m["To"] for m in inbox.messages) == emails
