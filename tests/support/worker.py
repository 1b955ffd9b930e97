"""Run the worker's jobs for real: in the test process (an arq worker over the test Redis, with
resources built like the worker builds them, until no job is due within a horizon), or as a
process of its own, started the way an operator starts it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

import httpx
from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from arq.jobs import deserialize_job

from app.loyalty.jobs import NOTICES_JOB
from app.platform.resources import Resources, build_resources
from app.queue import JobContext
from app.queue.arq_backend import QUEUE_NAME, build_worker, queue_depth
from app.settings import Settings
from app.shopify.customer_sync import FLUSH_JOB
from jobs.registry import JOBS
from jobs.worker import MAX_JOBS, worker_settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.network import NoNetwork

ROOT = Path(__file__).resolve().parents[2]

# Jobs deferred by a few seconds to gather work, not to act at a time: loyalty's batched
# metafield and tag write-back (CUSTOMER_SYNC_FLUSH_SECONDS, 10 s) and the loyalty notices
# coalesced per customer (5 s). A test that does not look at what they do need not wait for them.
BATCHED_JOBS = frozenset({FLUSH_JOB, NOTICES_JOB})


async def run_worker_burst(
    settings: Settings,
    *,
    http_transport: httpx.AsyncBaseTransport | None = None,
    horizon: float = 20.0,
    not_waiting_for: Collection[str] = (),
) -> None:
    """Process every job due now or within `horizon` seconds (and their follow-ups), then
    return; jobs deferred further (a default one-hour reminder) stay queued. arq's own burst
    mode would wait for those. `http_transport` reaches Shopify (the simulator in-process);
    without one every outgoing request is refused, never sent to the real network.

    Deferred jobs named in `not_waiting_for` (BATCHED_JOBS, say) are not waited for: the burst
    ends without them, and they stay queued (one due, or started, before the end still runs)."""

    settings = worker_settings(settings)

    async def startup() -> Resources:
        return await build_resources(settings, http_transport=http_transport or NoNetwork())

    async def shutdown(resources: Resources) -> None:
        await resources.close()

    worker = build_worker(
        max_jobs=MAX_JOBS,
        redis_url=settings.redis,
        functions=JOBS,
        cron_jobs=[],
        on_startup=startup,
        on_shutdown=shutdown,
        handle_signals=False,
    )
    running = asyncio.create_task(worker.main())
    try:
        quiet_polls = 0
        while quiet_polls < 3:
            await asyncio.sleep(0.05)
            if running.done():
                running.result()
                return
            if worker.pool is None or worker.ctx.get("resources") is None:
                continue
            due = await _due_within(worker.pool, horizon, not_waiting_for)
            # Jobs due now that wait in their shop's ready list (app/queue/fair.py).
            due += (await queue_depth(worker.pool)).ready
            # Jobs stay in the queue while they run, so nothing due also means nothing running.
            quiet_polls = quiet_polls + 1 if due == 0 and not worker.tasks else 0
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        # Not worker.close(): it calls redis' deprecated close(), and warnings are errors here.
        if worker.on_shutdown is not None:
            await worker.on_shutdown(worker.ctx)
        await worker.pool.aclose(close_connection_pool=True)


async def _due_within(redis: ArqRedis, horizon: float, not_waiting_for: Collection[str]) -> int:
    """Jobs in the queue's schedule due now or within `horizon` seconds, less the deferred
    ones whose function is in `not_waiting_for`."""
    now_ms = time.time() * 1000
    until_ms = now_ms + horizon * 1000
    if not not_waiting_for:
        return int(await redis.zcount(QUEUE_NAME, "-inf", until_ms))
    due = int(await redis.zcount(QUEUE_NAME, "-inf", now_ms))
    for job_id in await redis.zrangebyscore(QUEUE_NAME, f"({now_ms}", until_ms):
        raw = await redis.get(job_key_prefix + job_id.decode())
        # A job whose key is gone is finishing: count it, the next poll will not see it.
        if (
            raw is None
            or deserialize_job(raw, deserializer=redis.job_deserializer).function
            not in not_waiting_for
        ):
            due += 1
    return due


def job_context(resources: Resources, job_id: str = "test-job") -> JobContext:
    return JobContext(job_id=job_id, attempt=1, resources=resources)


def start_worker_process(
    settings: Settings,
    log: Path,
    *,
    module: tuple[str, ...] = ("app.cli", "worker"),
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m app.cli worker` (or another module) against the test's database and Redis,
    its output appended to `log`. The worker's metrics endpoint is off unless `env` sets
    WORKER_METRICS_PORT, so concurrent test runs never compete for its port."""
    environment = {
        **os.environ,
        "SHOPIFY_API_KEY": TEST_API_KEY,
        "SHOPIFY_API_SECRET": TEST_API_SECRET,
        "TOKEN_ENCRYPTION_KEYS": TEST_FERNET_KEY,
        "DATABASE_URL": settings.database,
        "REDIS_URL": settings.redis,
        "DATA_DIR": str(settings.data_dir),
        "WORKER_METRICS_PORT": "0",
        **(env or {}),
    }
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", *module],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker_process(process: subprocess.Popen[bytes], sig: int) -> None:
    process.send_signal(sig)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else "(no log)"
