"""The sweeper: stored events still `received` after a grace period are enqueued again, so an
event stored while Redis was down, or held by a worker that died, is not stranded.

Job ids: the first enqueue uses `webhook:{id}`. arq answers "already there" while a job of that
id is queued, running OR its result is kept, so the sweeper never reuses it: it enqueues
`webhook:{id}:sweep:{window}`, fresh for every sweep window. An extra job is harmless: the
event row is locked while processed and skipped once done."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import WebhookEvent, WebhookEventStatus
from app.queue import JobQueue
from webhooks.inbox import enqueue_processing, retry_job_id
from webhooks.processing import BACKOFF_CAP_SECONDS, MAX_ATTEMPTS

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
# An event whose handler failed is in the queue's retry schedule; it counts as stranded
# only once every retry should long be over.
RETRY_WINDOW = timedelta(seconds=BACKOFF_CAP_SECONDS * 1.5 * MAX_ATTEMPTS)


@dataclass(frozen=True)
class SweepReport:
    found: int
    enqueued: int


def sweep_job_id(event_row_id: int, after: timedelta) -> str:
    window = int(time.time() // max(1.0, after.total_seconds()))
    return f"webhook:{event_row_id}:sweep:{window}"


async def stranded_events(
    session: AsyncSession, *, after: timedelta, limit: int = SWEEP_BATCH
) -> list[tuple[int, int]]:
    """(id, failed attempts) of the events to enqueue again."""
    now = func.now()
    query = (
        select(WebhookEvent.id, WebhookEvent.attempts)
        .where(
            WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
            WebhookEvent.received_at < now - after,
            or_(WebhookEvent.attempts == 0, WebhookEvent.received_at < now - RETRY_WINDOW),
        )
        .order_by(WebhookEvent.received_at)
        .limit(limit)
    )
    return [(int(row[0]), int(row[1])) for row in (await session.execute(query)).all()]


def _job_id(event_row_id: int, attempts: int, after: timedelta) -> str:
    # An event that has failed before gets the job id of its next attempt: when that job is
    # still scheduled (a compliance event backing off), the enqueue is a no-op instead of an
    # extra attempt every sweep window.
    return retry_job_id(event_row_id, attempts) if attempts else sweep_job_id(event_row_id, after)


async def sweep(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, *, after: timedelta
) -> SweepReport:
    async with sessions.begin() as session:
        ids = await stranded_events(session, after=after)
    enqueued = 0
    for event_row_id, attempts in ids:
        if not await enqueue_processing(
            queue, event_row_id, job_id=_job_id(event_row_id, attempts, after)
        ):
            break  # the queue is down: the next sweep tries again
        enqueued += 1
    if ids:
        log.info("swept stranded webhook events", found=len(ids), enqueued=enqueued)
    return SweepReport(found=len(ids), enqueued=enqueued)
