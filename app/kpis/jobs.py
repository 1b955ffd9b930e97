"""The roll-up's cron job name and its unit of work (the arq wrapper is jobs/kpis.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.rollup import RefreshReport, refresh_dirty, refresh_due_snapshots, utc_now

ROLLUP_EVERY_SECONDS = 30
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
