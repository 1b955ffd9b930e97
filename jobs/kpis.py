"""KPI roll-up cron job: the days whose raw rows changed are rolled up again (app/kpis); and
the rebuild of one shop's roll-ups after its timezone changed."""

from __future__ import annotations

import structlog

from app.kpis.jobs import rebuild, roll_up
from app.platform.resources import Resources
from app.queue import JobContext


async def roll_up_kpis(ctx: JobContext) -> int:
    resources: Resources = ctx.resources
    claimed = await roll_up(resources.sessions)
    if claimed:
        structlog.get_logger().info("kpis rolled up", utc_days=claimed)
    return claimed


async def rebuild_shop_kpis(ctx: JobContext, shop_id: int) -> int:
    resources: Resources = ctx.resources
    days = await rebuild(resources.sessions, shop_id)
    structlog.get_logger().info("kpis rebuilt", shop_id=shop_id, local_days=days)
    return days
