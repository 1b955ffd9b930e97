"""arq's own lines per job run: a job that logs its own line per run (the webhook event's
"handled" line) is not narrated again by arq; every other job, and a retry of that one, are."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from app.queue import JobContext, RetryJob
from app.queue.arq_backend import ArqQueue, build_worker
from app.settings import Settings


async def test_a_self_logging_job_runs_without_arqs_start_and_finish_lines(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tried: list[str] = []

    async def quiet(ctx: JobContext, n: int) -> None:
        if n == 2 and ctx.attempt == 1:
            tried.append("retry")
            raise RetryJob(defer=0.01)

    async def narrated(ctx: JobContext, n: int) -> None:
        return None

    async def startup() -> Any:
        return None

    async def shutdown(resources: Any) -> None:
        return None

    queue = ArqQueue(settings.redis)
    try:
        for n in (1, 2):
            assert await queue.enqueue("quiet", n, job_id=f"quiet:{n}")
        assert await queue.enqueue("narrated", 3, job_id="narrated:3")
        worker = build_worker(
            redis_url=settings.redis,
            functions={"quiet": quiet, "narrated": narrated},
            cron_jobs=[],
            on_startup=startup,
            on_shutdown=shutdown,
            handle_signals=False,
            self_logging={"quiet"},
        )
        worker.burst = True
        with caplog.at_level(logging.INFO, logger="arq.worker"):
            await asyncio.wait_for(worker.main(), timeout=60)
        await worker.pool.aclose(close_connection_pool=True)
    finally:
        await queue.close()
        # The filter is per process: the next worker built without quiet jobs clears it.
        build_worker(
            redis_url=settings.redis,
            functions={"narrated": narrated},
            cron_jobs=[],
            on_startup=startup,
            on_shutdown=shutdown,
            handle_signals=False,
        )

    lines = [r.getMessage() for r in caplog.records if r.name == "arq.worker"]
    assert tried == ["retry"]
    # The narrated job: its start and its success, as arq logs them.
    assert any("narrated:3:narrated(3)" in line and "→" in line for line in lines), lines
    assert any("narrated:3:narrated" in line and "←" in line for line in lines), lines
    # The quiet one: neither, but its retry still is.
    assert not any(":quiet" in line and ("→" in line or "←" in line) for line in lines), lines
    assert any("quiet:2:quiet" in line and "↻" in line for line in lines), lines
