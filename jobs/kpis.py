"""KPI roll-up cron job: the days whose raw rows changed are rolled up again (app/kpis)."""

from __future__ import annotations

import structlog

from app.kpis.jobs import roll_up
from app.platform.resources import Resources
from app.queue import JobContext


async def roll_up_kpis(ctx: JobContext) -> int:
    resources: Resources = ctx.resources
    claimed = await roll_up(resources.sessions)
    if claimed:
        structlog.get_logger().info("kpis rolled up", utc_days=claimed)
    return claimed
