"""A worker killed mid-job: arq would leave the job marked in progress for about 5 minutes (no
worker runs it, and the due-step scan and outbox sweep cannot enqueue it again under its id);
the surviving workers see its owner is dead and the job runs again within 30 s."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from app.queue.arq_backend import ArqQueue
from app.queue.interface import JobStatus
from app.settings import Settings
from tests.support.hang_worker import HANG_JOB
from tests.support.worker import log_tail, start_worker_process, stop_worker_process

PICKED_UP_WITHIN_SECONDS = 30


async def _until(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(path.exists):
            return True
        await asyncio.sleep(0.2)
    return False


async def test_a_job_whose_worker_was_killed_runs_again_within_30_seconds(
    settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "hang"
    module = ("tests.support.hang_worker", str(marker))
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    queue = ArqQueue(settings.redis)
    first = start_worker_process(settings, first_log, module=module)
    second = None
    try:
        assert await queue.enqueue(HANG_JOB, job_id="step:1:0")
        assert await _until(marker, 30), log_tail(first_log)
        first.kill()  # mid-job, as the OOM killer or a lost host would
        first.wait()
        killed_at = time.monotonic()
        states = await queue.job_states(["step:1:0"])
        assert states["step:1:0"].status is JobStatus.RUNNING
        # The scan or the sweep would enqueue it again: refused, the id is taken.
        assert not await queue.enqueue(HANG_JOB, job_id="step:1:0")

        second = start_worker_process(settings, second_log, module=module)
        done = marker.with_suffix(".done")
        assert await _until(done, PICKED_UP_WITHIN_SECONDS), log_tail(second_log)
        assert time.monotonic() - killed_at <= PICKED_UP_WITHIN_SECONDS
        assert await asyncio.to_thread(done.read_text) == "step:1:0 try 2\n"
    finally:
        await queue.close()
        if first.poll() is None:
            first.kill()
            first.wait()
        if second is not None:
            stop_worker_process(second, signal.SIGTERM)
