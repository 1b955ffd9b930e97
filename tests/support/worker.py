"""Run the worker's jobs for real in the test process: an arq worker in burst mode over the
test Redis, with resources built like the worker builds them."""

from __future__ import annotations

from app.platform.resources import Resources, build_resources
from app.queue import JobContext
from app.queue.arq_backend import build_worker
from app.settings import Settings
from jobs.registry import JOBS


async def run_worker_burst(settings: Settings) -> None:
    """Process every job queued now (and their immediate follow-ups), then return."""

    async def startup() -> Resources:
        return await build_resources(settings)

    async def shutdown(resources: Resources) -> None:
        await resources.close()

    worker = build_worker(
        redis_url=settings.redis,
        functions=JOBS,
        cron_jobs=[],
        on_startup=startup,
        on_shutdown=shutdown,
        handle_signals=False,
    )
    worker.burst = True
    try:
        await worker.main()
    finally:
        # Not worker.close(): it calls redis' deprecated close(), and warnings are errors here.
        if worker.on_shutdown is not None:
            await worker.on_shutdown(worker.ctx)
        await worker.pool.aclose(close_connection_pool=True)


def job_context(resources: Resources, job_id: str = "test-job") -> JobContext:
    return JobContext(job_id=job_id, attempt=1, resources=resources)
