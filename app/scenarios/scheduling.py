"""The step job: its name and the job that runs a due step, and handing due steps to the queue.
A step that cannot be enqueued now (Redis down) is not lost: the cron scan finds every due step
in the database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.queue import JobQueue
from app.queue.deferred import Job, defer, send_jobs
from app.scenarios.runs import DueStep

STEP_JOB = "scenario_step"


def step_job(step: DueStep) -> Job:
    return Job(STEP_JOB, (step.run_id, step.step_index), step.job_id, defer_until=step.due_at)


def defer_steps(session: AsyncSession, steps: Iterable[DueStep]) -> None:
    """Enqueue each step, deferred to its due time, once the transaction commits."""
    for step in steps:
        defer(session, step_job(step))


async def schedule(queue: JobQueue, steps: Iterable[DueStep]) -> int:
    """Enqueue each step deferred to its due time now (the scan's pages, read outside any
    transaction); returns how many were newly enqueued."""
    return await send_jobs(queue, [step_job(step) for step in steps])
