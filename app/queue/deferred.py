"""The one way to enqueue after commit: `defer(session, job)` inside a transaction records the
job on the session; `transaction(sessions, queue)` sends what was deferred once its transaction
has committed. A rollback drops them: a job never announces rows that were not written.

Besides jobs, a transaction may defer a `CustomerWrite`: values for Shopify's copy of a customer,
computed in the transaction and requested into the shop's batched customer sync once it commits
(one Redis write instead of a job that would read them again). A sender given no `writer`
enqueues the write's `fallback` job instead, which reads the values when it runs.

Each domain names its jobs and builds their ids beside its own code (`send_job` in the outbox,
`step_job` in the scenario engine…); this module only carries them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from app.queue.interface import JobQueue, QueueUnavailable

log = structlog.get_logger(__name__)

_KEY = "boomerang.deferred_jobs"
# Where each keyed follow-up (`defer_once`) stands in the list above.
_PLACES = "boomerang.deferred_places"


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


@dataclass(frozen=True)
class CustomerWrite:
    """Metafield values for one Shopify owner (a customer), as the transaction that deferred
    it left them. `version` orders the writes of one owner (a later commit carries a higher
    one: the loyalty ledger's entry id, written under the account's lock), so a write sent
    late never overwrites a newer one. `fallback` is the job that writes the same values by
    reading them when it runs, for a sender with no writer at hand."""

    shop_id: int
    owner_gid: str
    version: int
    # (namespace, key, type, value)
    metafields: tuple[tuple[str, str, str, str], ...]
    fallback: Job


Deferred = Job | CustomerWrite


class CustomerWriter(Protocol):
    async def request(self, writes: Sequence[CustomerWrite]) -> None:
        """Queue the writes into their shops' batched sync. Raises QueueUnavailable when
        Redis cannot be reached."""
        ...


def defer(session: AsyncSession, job: Deferred) -> None:
    """Enqueue `job` (or request the write) once the session's transaction commits (dropped
    if it rolls back)."""
    session.info.setdefault(_KEY, []).append(job)


def defer_once(session: AsyncSession, key: Hashable, item: Deferred) -> None:
    """Defer `item` as the transaction's one follow-up for `key`: a later call with the same
    key replaces it where it stands. For a domain whose several changes in one transaction
    need one follow-up, the last one's (a sync job that reads the newest state, or the values
    themselves once the transaction's work is done)."""
    places: dict[Hashable, int] = session.info.setdefault(_PLACES, {})
    items: list[Deferred] = session.info.setdefault(_KEY, [])
    place = places.get(key)
    if place is None:
        places[key] = len(items)
        items.append(item)
    else:
        items[place] = item


def take_deferred(session: AsyncSession) -> list[Deferred]:
    """The deferred jobs, removed from the session: call it last inside the `begin()` block
    and send them after it (what `transaction` does)."""
    session.info.pop(_PLACES, None)
    jobs: list[Deferred] = session.info.pop(_KEY, [])
    return jobs


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the outermost transaction's rollback: a savepoint's keeps the jobs deferred before it.
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
        session.info.pop(_PLACES, None)


async def send_jobs(
    queue: JobQueue, jobs: Iterable[Deferred], writer: CustomerWriter | None = None
) -> int:
    """Enqueue each job and request each write (through `writer`; without one, or when it
    fails, the write's fallback job is enqueued); returns how many jobs were newly enqueued.
    Redis being down loses nothing: every deferred job announces rows its domain's sweeper
    finds again."""
    items = list(jobs)
    writes = [item for item in items if isinstance(item, CustomerWrite)]
    fallbacks: list[Job] = []
    if writes and writer is not None:
        try:
            await writer.request(writes)
        except QueueUnavailable:
            log.warning("customer writes not requested; their jobs are tried instead")
            fallbacks = [write.fallback for write in writes]
    else:
        fallbacks = [write.fallback for write in writes]
    enqueued = 0
    for job in [item for item in items if isinstance(item, Job)] + fallbacks:
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
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    writer: CustomerWriter | None = None,
) -> AsyncIterator[AsyncSession]:
    """`async with transaction(sessions, queue) as session:` — one transaction, committed at
    the end of the block; the jobs deferred in it are sent after the commit. An exception rolls
    it back and sends nothing."""
    async with sessions.begin() as session:
        yield session
        jobs = take_deferred(session)
    await send_jobs(queue, jobs, writer)
