"""The real worker in a process of its own, with one job more, for dead-job tests:
`hang_once` blocks on its first run (it writes MARKER_PATH first) until the process is
killed; a later run writes MARKER_PATH.done with the try it was.

Run: python -m tests.support.hang_worker MARKER_PATH (settings from the environment)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from app.logs import configure_logging
from app.queue import JobContext
from app.settings import load_settings
from jobs.registry import JOBS
from jobs.worker import run_worker

HANG_JOB = "hang_once"


def main() -> None:
    marker = Path(sys.argv[1])

    async def hang_once(ctx: JobContext) -> None:
        if not await asyncio.to_thread(marker.exists):
            await asyncio.to_thread(marker.write_text, f"{ctx.job_id} try {ctx.attempt}\n")
            await asyncio.sleep(3600)
        done = marker.with_suffix(".done")
        await asyncio.to_thread(done.write_text, f"{ctx.job_id} try {ctx.attempt}\n")

    JOBS[HANG_JOB] = hang_once
    settings = load_settings()
    configure_logging("INFO")
    run_worker(settings)


if __name__ == "__main__":
    main()
