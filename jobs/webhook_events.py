"""Webhook jobs: process one stored event, and sweep events left stranded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from app.inbox.jobs import retry_job_id
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.queue.deferred import send_jobs
from webhooks.inbox import enqueue_processing
from webhooks.processing import Outcome, Result, process_event
from webhooks.sweeper import SweepCursor, SweepReport, record_job, sweep

# The sweeper's place in a backlog larger than one batch, kept between this process's sweeps.
_SWEEP_CURSOR = SweepCursor()


async def process_webhook_event(ctx: JobContext, event_row_id: int) -> str:
    resources: Resources = ctx.resources
    with structlog.contextvars.bound_contextvars(
        job_id=ctx.job_id, attempt=ctx.attempt, event_row_id=event_row_id
    ):
        result = await process_event(resources.sessions, event_row_id)
        await send_jobs(resources.queue, result.after_commit, resources.customer_writer)
    if result.outcome is Outcome.RETRY and result.retry_in is not None:
        if result.keep_retrying and await _schedule_next_attempt(resources, event_row_id, result):
            return str(result.outcome.value)
        raise RetryJob(defer=result.retry_in)
    return result.outcome.value


async def _schedule_next_attempt(resources: Resources, event_row_id: int, result: Result) -> bool:
    """A fresh job for the next attempt, so the queue's cap on one job's tries never ends the
    retries of an event that must not give up. False when the queue cannot take it (the
    queue's own retry of this job is the fallback)."""
    job_id = retry_job_id(event_row_id, result.attempts)
    due = datetime.now(UTC) + timedelta(seconds=result.retry_in or 0.0)
    if not await enqueue_processing(
        resources.queue, event_row_id, job_id=job_id, shop=None, defer_until=due
    ):
        return False
    # The sweeper judges an event by the job recorded on it: now this one.
    await record_job(resources.sessions, event_row_id, job_id)
    return True


async def sweep_webhook_events(ctx: JobContext) -> SweepReport:
    resources: Resources = ctx.resources
    after = timedelta(seconds=resources.settings.webhook_sweep_after_seconds)
    return await sweep(resources.sessions, resources.queue, after=after, cursor=_SWEEP_CURSOR)
