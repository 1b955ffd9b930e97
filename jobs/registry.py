"""Every job and cron job the worker runs, by the name the queue knows them by."""

from __future__ import annotations

from app.queue import CronJob, JobFunction
from jobs.heartbeat import worker_heartbeat

JOBS: dict[str, JobFunction] = {}

CRON_JOBS: list[CronJob] = [
    CronJob(
        name="worker_heartbeat", function=worker_heartbeat, every_seconds=10, run_at_startup=True
    ),
]
