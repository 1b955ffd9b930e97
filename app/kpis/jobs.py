"""The roll-up's cron job name and its unit of work, and the job that rebuilds one shop's
roll-ups when its timezone changes (the arq wrappers are in jobs/kpis.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.rollup import (
    RefreshReport,
    rebuild_shop,
    refresh_dirty,
    refresh_due_snapshots,
    utc_now,
)
from app.queue.deferred import Job, defer

ROLLUP_EVERY_SECONDS = 30
REBUILD_JOB = "rebuild_shop_kpis"
# Marked UTC days claimed per transaction: bounded so one busy shop does not hold a long one.
BATCH = 10


async def roll_up(
    sessions: async_sessionmaker[AsyncSession],
    *,
    max_batches: int = 20,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Recompute the days marked since the last pass, a batch per transaction, until none is
    left (or max_batches); then, in a transaction of its own, the snapshots that are due (left
    pending by a change, or old). Returns the UTC days claimed."""
    claimed = 0
    for _ in range(max_batches):
        async with sessions.begin() as session:
            report: RefreshReport = await refresh_dirty(session, clock(), BATCH)
        claimed += report.utc_days
        if report.utc_days < BATCH:
            break
    async with sessions.begin() as session:
        await refresh_due_snapshots(session, clock())
    return claimed


def rebuild_job(shop_id: int, domain: str, timezone: str, at: datetime) -> Job:
    """The rebuild of one shop's roll-ups after its timezone became `timezone` (at `at`): each
    change its own job, a redelivered one the same."""
    return Job(
        REBUILD_JOB,
        (shop_id,),
        f"{REBUILD_JOB}:{shop_id}:{timezone}:{at.isoformat()}",
        shop=domain,
    )


def set_timezone(
    session: AsyncSession, shop: Any, timezone: str, *, at: datetime | None = None
) -> bool:
    """Give the shop (a Shop row, in the caller's transaction) its new IANA timezone. When it
    changed, every roll-up is filed under the old zone's local days: the shop's roll-ups are
    rebuilt by a job enqueued once the transaction commits (a big shop's take minutes, too
    long for the caller's transaction). Returns whether it changed."""
    if not timezone or timezone == shop.timezone:
        return False
    shop.timezone = timezone
    defer(session, rebuild_job(shop.id, shop.domain, timezone, at or utc_now()))
    return True


async def rebuild(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> int:
    """Rebuild one shop's roll-ups from the raw rows, in one transaction (incremental passes
    meanwhile wait on its day locks). Returns the local days recomputed."""
    async with sessions.begin() as session:
        return await rebuild_shop(session, shop_id, utc_now())
