"""The worker says it is alive, per host, so the container healthcheck can tell; and it reads
the queue's depth for its metrics (what an autoscaler scales the workers on)."""

from __future__ import annotations

import time

from app import metrics
from app.healthcheck import WORKER_HEARTBEAT_TTL, worker_heartbeat_key
from app.platform.resources import Resources
from app.queue import JobContext
from app.queue.arq_backend import QUEUE_NAME


async def worker_heartbeat(ctx: JobContext) -> None:
    resources: Resources = ctx.resources
    now = time.time()
    await resources.redis.set(worker_heartbeat_key(), str(now), ex=WORKER_HEARTBEAT_TTL)
    # arq keeps its queue as a sorted set scored by the time a job is due (ms): the ready
    # jobs are those scored up to now.
    ready = await resources.redis.zcount(QUEUE_NAME, "-inf", int(now * 1000))
    metrics.QUEUE_READY_JOBS.set(ready)
