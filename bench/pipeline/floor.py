"""The floor: what one worker process does with near-empty jobs. The same arq worker as
`boomerang worker` (app.queue.arq_backend.build_worker, the same max_jobs, poll delay and
logging set-up), whose one job function returns at once. The bench enqueues the jobs first
(with the same one-round-trip enqueue as the receiver), then runs this in burst mode (one
process, or two sharing the queue); it prints one JSON line: jobs run (and which), the
seconds from the first job's start to the last job's, those two moments (time.monotonic,
the machine's clock for every process, so two processes' spans combine), and the CPU
seconds the process spent between them.

python -m bench.pipeline.floor  (REDIS_URL, LOG_LEVEL)"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

from app.logs import configure_logging
from app.queue import JobContext
from app.queue.arq_backend import build_worker
from jobs.worker import MAX_JOBS

FLOOR_JOB = "floor_noop"

_seen = {"jobs": 0, "first": 0.0, "last": 0.0, "cpu_first": 0.0, "cpu_last": 0.0}
# Which jobs ran here: the bench checks every job ran, and counts any run by both of two
# processes sharing the queue (none expected: a job's start is exclusive, its in-progress
# marker set under WATCH).
_ran: dict[int, float] = {}  # job → when it first started here
# time.monotonic is CLOCK_MONOTONIC on Linux: one clock for every process of the machine.


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def noop(ctx: JobContext, n: int) -> int:
    now = time.monotonic()
    if not _seen["jobs"]:
        _seen["first"] = now
        _seen["cpu_first"] = _cpu()
    _seen["jobs"] += 1
    _ran.setdefault(n, now)
    _seen["last"] = now
    _seen["cpu_last"] = _cpu()
    return n


async def startup() -> Any:
    return None


async def shutdown(resources: Any) -> None:
    print(
        json.dumps(
            {
                "jobs": _seen["jobs"],
                "seconds": _seen["last"] - _seen["first"],
                "first": _seen["first"],
                "last": _seen["last"],
                "cpu_seconds": _seen["cpu_last"] - _seen["cpu_first"],
                "ran": sorted(_ran.items()),
            }
        )
    )


def main() -> None:
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    worker = build_worker(
        max_jobs=MAX_JOBS,
        redis_url=os.environ["REDIS_URL"],
        functions={FLOOR_JOB: noop},
        cron_jobs=[],
        on_startup=startup,
        on_shutdown=shutdown,
    )
    worker.burst = True
    worker.run()


if __name__ == "__main__":
    main()
