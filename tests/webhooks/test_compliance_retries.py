"""Compliance deliveries never give up: past MAX_ATTEMPTS a failing customers/redact stays
`received`, schedules its next attempt (backing off, capped) and says so as an error, and the
sweeper does not add attempts of its own while that one is scheduled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from app.inbox.jobs import retry_job_id
from app.models import Customer, WebhookEvent
from app.platform.resources import Resources, build_resources
from app.queue.arq_backend import QUEUE_NAME, queue_depth
from app.queue.interface import JobStatus
from app.settings import Settings
from jobs.webhook_events import process_webhook_event
from tests.support.fixtures import fixture_bytes
from tests.support.shops import create_shop
from tests.support.webhooks import SHOP, deliver
from tests.support.worker import job_context, run_worker_burst
from webhooks.processing import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS
from webhooks.sweeper import sweep


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    built = await build_resources(settings)
    yield built
    await built.close()


@pytest.fixture
async def customers_read_only(engine: AsyncEngine) -> AsyncIterator[None]:
    """The database refuses every change to a customer row (a broken migration, a full disk:
    whatever makes an erasure fail until someone fixes it). Lifted at the end of the test."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE FUNCTION test_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'customers are read-only'; END $$"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER test_customers_read_only BEFORE UPDATE ON customers "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_change()"
            )
        )
    try:
        yield
    finally:
        await lift(engine)


async def lift(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DROP TRIGGER IF EXISTS test_customers_read_only ON customers"))
        await conn.execute(text("DROP FUNCTION IF EXISTS test_refuse_change()"))


async def redaction_event(sessions: async_sessionmaker[AsyncSession]) -> WebhookEvent:
    async with sessions.begin() as session:
        event = await session.scalar(
            select(WebhookEvent).where(WebhookEvent.topic == "customers/redact")
        )
    assert event is not None
    return event


async def customer_emails(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions.begin() as session:
        return [e for e in await session.scalars(select(Customer.email)) if e is not None]


async def test_a_failing_redaction_keeps_retrying_past_the_attempt_limit(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    resources: Resources,
    engine: AsyncEngine,
    redis_url: str,
    customers_read_only: None,
) -> None:
    await create_shop(sessions, domain=SHOP)
    await deliver(client, "customers/create", fixture_bytes("customers/create"))
    await run_worker_burst(settings)  # inserting is allowed; changing is not
    await deliver(client, "customers/redact", fixture_bytes("customers/redact"))
    event = await redaction_event(sessions)
    queue = Redis.from_url(redis_url)

    for attempt in range(1, MAX_ATTEMPTS + 3):
        with capture_logs() as logs:
            assert await process_webhook_event(job_context(resources), event.id) == "retry"
        event = await redaction_event(sessions)
        assert (event.status, event.attempts) == ("received", attempt)
        assert event.last_error is not None
        assert "customers are read-only" in event.last_error
        # The next attempt is a job of its own, due within the capped backoff.
        due = await queue.zscore(QUEUE_NAME, retry_job_id(event.id, attempt))
        assert due is not None
        levels = [entry["log_level"] for entry in logs]
        assert ("error" in levels) is (attempt >= MAX_ATTEMPTS)
    assert await customer_emails(sessions) == ["john@example.com"]  # nothing erased yet
    assert due <= (await queue.time())[0] * 1000 + BACKOFF_CAP_SECONDS * 1.5 * 1000

    # Days later the sweeper looks at it: the scheduled attempt is recorded as its live job, so
    # the sweeper adds none.
    async with sessions.begin() as session:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event.id)
            .values(received_at=WebhookEvent.received_at - timedelta(days=2))
        )
    jobs_before = await queue.zcard(QUEUE_NAME)
    report = await sweep(sessions, resources.queue, after=timedelta(seconds=30))
    assert (report.examined, report.found) == (1, 0)
    assert await queue.zcard(QUEUE_NAME) == jobs_before
    # Lose that scheduled attempt (Redis flushed): the next sweep brings the event back.
    await queue.flushdb()
    report = await sweep(sessions, resources.queue, after=timedelta(seconds=30))
    assert (report.found, report.enqueued) == (1, 1)
    # One job: in the schedule, or (due now, fair scheduling) in its shop's ready list.
    depth = await queue_depth(queue)
    assert await queue.zcard(QUEUE_NAME) + sum(shop.ready for shop in depth.shops) == 1
    job_id = (await redaction_event(sessions)).job_id
    assert job_id is not None
    assert (await resources.queue.job_states([job_id]))[job_id].status is JobStatus.QUEUED

    await lift(engine)
    assert await process_webhook_event(job_context(resources), event.id) == "processed"
    assert await customer_emails(sessions) == []
    await queue.aclose()
