"""Webhook jobs: process one stored event, and sweep events left stranded."""

from __future__ import annotations

from datetime import timedelta

import structlog

from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from webhooks.processing import Outcome, process_event
from webhooks.sweeper import SweepCursor, SweepReport, sweep

# The sweeper's place in a backlog larger than one batch, kept between this process's sweeps.
_SWEEP_CURSOR = SweepCursor()


async def process_webhook_event(ctx: JobContext, event_row_id: int) -> str:
    resources: Resources = ctx.resources
    with structlog.contextvars.bound_contextvars(
        job_id=ctx.job_id, attempt=ctx.attempt, event_row_id=event_row_id
    ):
        result = await process_event(resources.sessions, event_row_id)
        for action in result.after_commit:
            await action(resources)
    if result.outcome is Outcome.RETRY and result.retry_in is not None:
        raise RetryJob(defer=result.retry_in)
    return result.outcome.value


async def sweep_webhook_events(ctx: JobContext) -> SweepReport:
    resources: Resources = ctx.resources
    after = timedelta(seconds=resources.settings.webhook_sweep_after_seconds)
    return await sweep(resources.sessions, resources.queue, after=after, cursor=_SWEEP_CURSOR)
