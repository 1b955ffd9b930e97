"""Handing due steps to the queue after commit. A step that cannot be enqueued now (Redis
down) is not lost: the cron scan finds every due step in the database."""

from __future__ import annotations

from collections.abc import Iterable

import structlog

from app.queue import JobQueue
from app.queue.interface import QueueUnavailable
from app.scenarios.runs import DueStep

log = structlog.get_logger(__name__)

STEP_JOB = "scenario_step"


async def schedule(queue: JobQueue, steps: Iterable[DueStep]) -> int:
    """Enqueue each step deferred to its due time; returns how many were newly enqueued."""
    enqueued = 0
    for step in steps:
        try:
            if await queue.enqueue(
                STEP_JOB, step.run_id, step.step_index, job_id=step.job_id, defer_until=step.due_at
            ):
                enqueued += 1
        except QueueUnavailable:
            log.warning("step not enqueued; the due-step scan will pick it up", run=step.run_id)
            return enqueued
    return enqueued
