"""The worker says it is alive, so readiness checks and the demo can tell."""

from __future__ import annotations

import time

from app.platform.resources import Resources
from app.queue import JobContext

HEARTBEAT_KEY = "boomerang:worker:heartbeat"


async def worker_heartbeat(ctx: JobContext) -> None:
    resources: Resources = ctx.resources
    await resources.redis.set(HEARTBEAT_KEY, str(time.time()), ex=60)
