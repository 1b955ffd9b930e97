"""The worker says it is alive, per host, so the container healthcheck can tell; and it reads
the queue's depth for its metrics (what an autoscaler scales the workers on)."""

from __future__ import annotations

import time

from app import metrics
from app.healthcheck import WORKER_HEARTBEAT_TTL, worker_heartbeat_key
from app.platform.resources import Resources
from app.queue import JobContext
from app.queue.arq_backend import queue_depth


async def worker_heartbeat(ctx: JobContext) -> None:
    resources: Resources = ctx.resources
    now = time.time()
    await resources.redis.set(worker_heartbeat_key(), str(now), ex=WORKER_HEARTBEAT_TTL)
    # The jobs due now, in the queue's schedule and in the shops' ready lists.
    depth = await queue_depth(resources.redis)
    metrics.record_queue_depth(depth.ready, depth.lag_seconds, depth.shops)
