"""The sweeper re-enqueues exactly the events that have no live job: a retry lost with Redis
comes back at its due time and runs once; an event being processed is left to its job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import OrderPlaced
from app.models import Order, WebhookEvent
from app.platform.composition import PLATFORM
from app.platform.resources import Resources, build_resources
from app.queue.arq_backend import QUEUE_NAME
from app.settings import Settings
from jobs.webhook_events import sweep_webhook_events
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import job_context, run_worker_burst
from webhooks.sweeper import SweepReport


@dataclass
class Listener:
    """A scenario listener on OrderPlaced: fails while `failing`, waits while `gate` is
    closed, and counts the runs that went through."""

    failing: bool = False
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    completed: int = 0


@pytest.fixture
def listener() -> Iterator[Listener]:
    state = Listener()
    state.gate.set()

    async def on_order(session: AsyncSession, fact: OrderPlaced) -> None:
        state.entered.set()
        await state.gate.wait()
        if state.failing:
            raise RuntimeError("scenario engine unavailable")
        state.completed += 1

    PLATFORM.facts.subscribe(OrderPlaced, on_order)
    yield state
    PLATFORM.facts.unsubscribe(OrderPlaced, on_order)


@pytest.fixture
async def sweeper(settings: Settings) -> AsyncIterator[Resources]:
    """The worker's resources with no grace period: every waiting event is looked at."""
    resources = await build_resources(
        settings.model_copy(update={"webhook_sweep_after_seconds": 0})
    )
    yield resources
    await resources.close()


async def sweep_now(resources: Resources) -> SweepReport:
    return await sweep_webhook_events(job_context(resources))


async def the_event(sessions: async_sessionmaker[AsyncSession]) -> WebhookEvent:
    async with sessions.begin() as session:
        return (await session.execute(select(WebhookEvent))).scalar_one()


async def orders(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


async def test_event_whose_retry_was_lost_is_processed_once_when_it_was_due(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    redis_url: str,
    sweeper: Resources,
    listener: Listener,
) -> None:
    await install_shop(sessions)
    listener.failing = True
    assert (await deliver(client, "orders/create", fixture_bytes("orders/create"))).is_success
    await run_worker_burst(settings, horizon=0)  # the first try fails; arq defers the retry
    event = await the_event(sessions)
    assert (event.status, event.attempts) == ("received", 1)
    assert event.next_attempt_at is not None
    assert (await sweep_now(sweeper)).found == 0  # the deferred retry is a live job

    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()  # Redis restarted empty: the retry is gone
        report = await sweep_now(sweeper)
        score = await redis.zscore(QUEUE_NAME, (await the_event(sessions)).job_id or "")
    finally:
        await redis.aclose()

    assert (report.found, report.enqueued) == (1, 1)
    assert score is not None
    due = datetime.fromtimestamp(score / 1000, UTC)
    assert abs((due - event.next_attempt_at).total_seconds()) < 0.01  # its backoff is kept
    assert (await sweep_now(sweeper)).found == 0  # enqueued once, not at every sweep
    listener.failing = False
    await run_worker_burst(settings)

    event = await the_event(sessions)
    assert (event.status, event.attempts) == ("processed", 1)
    assert listener.completed == 1
    assert await orders(sessions) == 1


async def test_event_being_processed_is_left_to_its_job(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sweeper: Resources,
    listener: Listener,
) -> None:
    """A sweep while the handler runs (its job marked running, the row locked) adds no job,
    and the event runs once."""
    await install_shop(sessions)
    listener.gate.clear()
    assert (await deliver(client, "orders/create", fixture_bytes("orders/create"))).is_success
    worker = asyncio.create_task(run_worker_burst(settings))
    try:
        async with asyncio.timeout(15):
            await listener.entered.wait()
        report = await sweep_now(sweeper)
    finally:
        listener.gate.set()
        await worker

    assert (report.examined, report.found, report.enqueued) == (1, 0, 0)
    assert listener.completed == 1
    assert (await the_event(sessions)).status == "processed"
    assert await orders(sessions) == 1
