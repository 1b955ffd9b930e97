"""The sweeper: every stored event still `received` must have a live job, queued (a deferred
retry included) or running. One that has none — stored while Redis was down, its retry lost
with Redis, held by a worker that died — is enqueued again at the first sweep once it is
`after` old (a sweep runs every 5 s; a backlog larger than a batch is walked batch by batch).

Which job should be alive: `webhook_events.job_id`, NULL for the receiver's first job
`webhook:{id}` (so the request path writes nothing more). The queue says whether it lives.
A job seen running for longer than `after` is believed only while it holds the event's row
lock: a worker killed mid-job leaves its job marked running (arq waits out the job timeout
before running it again), but PostgreSQL releases the dead worker's lock at once.

A re-enqueued event gets a fresh job id (arq refuses an id whose result it keeps), recorded
first and compare-and-set, so two sweeps cannot both enqueue it. Processing takes the row lock
and skips a row another job holds, so an extra job never runs an event twice at once, and a
processed event is never run again."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox.jobs import first_job_id
from app.models import Shop, WebhookEvent, WebhookEventStatus
from app.queue import JobQueue
from app.queue.interface import JobState, JobStatus, QueueUnavailable
from webhooks.inbox import enqueue_processing

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
# Redis answers a batch's states in one round trip; past this it is as good as down.
STATES_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class SweepReport:
    # Events older than the grace period looked at, and how many of them had no live job.
    examined: int
    found: int
    enqueued: int


@dataclass
class SweepCursor:
    """Where the last sweep stopped, so the next goes on from there: a backlog of queued
    events (Redis up, workers behind) larger than one batch does not hide the events behind
    its oldest rows. None starts from the oldest again."""

    position: tuple[datetime, int] | None = None


@dataclass(frozen=True)
class Waiting:
    id: int
    received_at: datetime
    job_id: str
    next_attempt_at: datetime | None
    shop_domain: str


def sweep_job_id(event_row_id: int) -> str:
    return f"webhook:{event_row_id}:sweep:{time.time_ns()}"


async def waiting_events(
    session: AsyncSession,
    *,
    after: timedelta,
    cursor: tuple[datetime, int] | None,
    limit: int = SWEEP_BATCH,
) -> list[Waiting]:
    query = (
        select(
            WebhookEvent.id,
            WebhookEvent.received_at,
            WebhookEvent.job_id,
            WebhookEvent.next_attempt_at,
            Shop.domain,
        )
        .join(Shop, Shop.id == WebhookEvent.shop_id)
        .where(
            WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
            WebhookEvent.received_at < func.now() - after,
        )
        .order_by(WebhookEvent.received_at, WebhookEvent.id)
        .limit(limit)
    )
    if cursor is not None:
        query = query.where(tuple_(WebhookEvent.received_at, WebhookEvent.id) > tuple_(*cursor))
    return [
        Waiting(
            row.id,
            row.received_at,
            row.job_id or first_job_id(row.id),
            row.next_attempt_at,
            row.domain,
        )
        for row in await session.execute(query)
    ]


def _believed_alive(state: JobState, after: timedelta) -> bool | None:
    """True or False when the queue's word settles it; None when only the row lock can."""
    if state.status is JobStatus.QUEUED:
        return True
    if state.status is JobStatus.MISSING:
        return False
    if state.running_for is not None and state.running_for < after.total_seconds():
        return True
    return None


async def _unlocked(sessions: async_sessionmaker[AsyncSession], ids: list[int]) -> set[int]:
    """Those of `ids` no transaction holds: no job is working on them. The probe's own locks
    last one statement."""
    if not ids:
        return set()
    async with sessions.begin() as session:
        free = await session.execute(
            select(WebhookEvent.id)
            .where(
                WebhookEvent.id.in_(ids),
                WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
            )
            .with_for_update(skip_locked=True)
        )
        return set(free.scalars())


async def _claim(
    sessions: async_sessionmaker[AsyncSession], stranded: list[Waiting]
) -> list[tuple[Waiting, str]]:
    """Record a fresh job id on each stranded event, if no one else did since we looked."""
    claimed = []
    async with sessions.begin() as session:
        for event in stranded:
            job_id = sweep_job_id(event.id)
            current = WebhookEvent.job_id
            recorded = (
                await session.execute(
                    update(WebhookEvent)
                    .where(
                        WebhookEvent.id == event.id,
                        WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
                        current.is_(None)
                        if event.job_id == first_job_id(event.id)
                        else current == event.job_id,
                    )
                    .values(job_id=job_id)
                    .returning(WebhookEvent.id)
                )
            ).scalar_one_or_none()
            if recorded is not None:
                claimed.append((event, job_id))
    return claimed


async def record_job(
    sessions: async_sessionmaker[AsyncSession], event_row_id: int, job_id: str
) -> None:
    """The job now responsible for a waiting event (a compliance event's next attempt)."""
    async with sessions.begin() as session:
        await session.execute(
            update(WebhookEvent)
            .where(
                WebhookEvent.id == event_row_id,
                WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
            )
            .values(job_id=job_id)
        )


async def sweep(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    *,
    after: timedelta,
    cursor: SweepCursor | None = None,
) -> SweepReport:
    cursor = cursor if cursor is not None else SweepCursor()
    async with sessions.begin() as session:
        waiting = await waiting_events(session, after=after, cursor=cursor.position)
    # A full batch: the next sweep goes on after it; a short one: this was the end.
    full = len(waiting) == SWEEP_BATCH
    cursor.position = (waiting[-1].received_at, waiting[-1].id) if full else None
    if not waiting:
        return SweepReport(examined=0, found=0, enqueued=0)
    try:
        async with asyncio.timeout(STATES_TIMEOUT_SECONDS):
            states = await queue.job_states([event.job_id for event in waiting])
    except (QueueUnavailable, TimeoutError) as exc:
        log.warning(
            "sweeper cannot see the queue; the next sweep tries again",
            reason=str(exc) or type(exc).__name__,
        )
        return SweepReport(examined=len(waiting), found=0, enqueued=0)

    verdicts = {event.id: _believed_alive(states[event.job_id], after) for event in waiting}
    unlocked = await _unlocked(sessions, [i for i, alive in verdicts.items() if alive is None])
    stranded = [
        event
        for event in waiting
        if verdicts[event.id] is False or (verdicts[event.id] is None and event.id in unlocked)
    ]
    enqueued = 0
    now = datetime.now(UTC)
    for event, job_id in await _claim(sessions, stranded):
        # A lost retry keeps its backoff: it runs when it was due, or now if that is past.
        due = event.next_attempt_at
        if not await enqueue_processing(
            queue,
            event.id,
            job_id=job_id,
            shop=event.shop_domain,
            defer_until=due if due and due > now else None,
        ):
            break  # the queue is down; the job recorded does not exist: found missing next time
        enqueued += 1
    if stranded:
        log.info(
            "swept webhook events that had no live job",
            examined=len(waiting),
            found=len(stranded),
            enqueued=enqueued,
        )
    return SweepReport(examined=len(waiting), found=len(stranded), enqueued=enqueued)
