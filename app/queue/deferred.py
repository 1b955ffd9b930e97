"""The one way to enqueue after commit: `defer(session, job)` inside a transaction records the
job on the session; `transaction(sessions, queue)` sends what was deferred once its transaction
has committed. A rollback drops them: a job never announces rows that were not written.

Each domain names its jobs and builds their ids beside its own code (`send_job` in the outbox,
`step_job` in the scenario engine…); this module only carries them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from app.queue.interface import JobQueue, QueueUnavailable

log = structlog.get_logger(__name__)

_KEY = "boomerang.deferred_jobs"


@dataclass(frozen=True)
class Job:
    """A job to enqueue: its name, its arguments (ids only), its deterministic id, when it
    is due (None: at once) and the shop it works for (its domain; None: no shop's), which the
    queue schedules fairly among the shops."""

    name: str
    args: tuple[Any, ...]
    job_id: str
    defer_until: datetime | None = None
    shop: str | None = None


def defer(session: AsyncSession, job: Job) -> None:
    """Enqueue `job` once the session's transaction commits (dropped if it rolls back)."""
    session.info.setdefault(_KEY, []).append(job)


def take_deferred(session: AsyncSession) -> list[Job]:
    """The deferred jobs, removed from the session: call it last inside the `begin()` block
    and send them after it (what `transaction` does)."""
    jobs: list[Job] = session.info.pop(_KEY, [])
    return jobs


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the outermost transaction's rollback: a savepoint's keeps the jobs deferred before it.
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


async def send_jobs(queue: JobQueue, jobs: Iterable[Job]) -> int:
    """Enqueue each job; returns how many were newly enqueued. Redis being down loses
    nothing: every deferred job announces rows its domain's sweeper finds again."""
    enqueued = 0
    for job in jobs:
        try:
            if await queue.enqueue(
                job.name,
                *job.args,
                job_id=job.job_id,
                defer_until=job.defer_until,
                shop=job.shop,
            ):
                enqueued += 1
        except QueueUnavailable:
            log.warning("deferred job not enqueued; its sweeper will find it", job=job.name)
            return enqueued
    return enqueued


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue
) -> AsyncIterator[AsyncSession]:
    """`async with transaction(sessions, queue) as session:` — one transaction, committed at
    the end of the block; the jobs deferred in it are sent after the commit. An exception rolls
    it back and sends nothing."""
    async with sessions.begin() as session:
        yield session
        jobs = take_deferred(session)
    await send_jobs(queue, jobs)
