"""The worker says it is alive, per host, so the container healthcheck can tell."""

from __future__ import annotations

import time

from app.healthcheck import WORKER_HEARTBEAT_TTL, worker_heartbeat_key
from app.platform.resources import Resources
from app.queue import JobContext


async def worker_heartbeat(ctx: JobContext) -> None:
    resources: Resources = ctx.resources
    await resources.redis.set(worker_heartbeat_key(), str(time.time()), ex=WORKER_HEARTBEAT_TTL)
