"""The job that processes one stored webhook event: its name and its ids, beside the inbox."""

from __future__ import annotations

import time
from datetime import datetime

from app.queue.deferred import Job

PROCESS_JOB = "process_webhook_event"


def first_job_id(event_row_id: int) -> str:
    return f"webhook:{event_row_id}"


def retry_job_id(event_row_id: int, attempts: int) -> str:
    """The job that makes the attempt after `attempts` failures (an event that must keep
    retrying past the queue's own cap gets one job per attempt)."""
    return f"webhook:{event_row_id}:retry:{attempts}"


def replay_job_id(event_row_id: int) -> str:
    # A fresh id: arq refuses an id whose earlier (failed) result it still keeps.
    return f"webhook:{event_row_id}:replay:{time.time_ns()}"


def processing_job(
    event_row_id: int, *, job_id: str, shop: str, defer_until: datetime | None = None
) -> Job:
    return Job(PROCESS_JOB, (event_row_id,), job_id, defer_until, shop)
