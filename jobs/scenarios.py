"""Scenario jobs: run one due step; scan for due steps a lost job or a Redis flush left."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from app.db.after_commit import take_after_commit
from app.platform.resources import Resources
from app.queue import JobContext
from app.scenarios import abandoned_cart
from jobs.live_actions import LiveStepActions
from app.scenarios.runs import due_steps
from app.scenarios.scheduling import schedule

log = structlog.get_logger(__name__)

SCAN_BATCH = 1000


async def scenario_step(ctx: JobContext, run_id: int, step_index: int) -> None:
    """Three short phases, so no lock is held while Shopify is called: read what code the
    step needs; issue it (its own commits); then lock, re-check and queue the message."""
    resources: Resources = ctx.resources
    actions = LiveStepActions(resources)
    async with resources.sessions.begin() as session:
        request = await abandoned_cart.code_request(session, run_id=run_id, step_index=step_index)
    code = await actions.issue_code(request, datetime.now(UTC)) if request else None
    async with resources.sessions.begin() as session:
        following = await abandoned_cart.run_step(
            session,
            run_id=run_id,
            step_index=step_index,
            now=datetime.now(UTC),
            actions=actions,
            code=code,
        )
        pending = take_after_commit(session)
    await schedule(resources.queue, following)
    for action in pending:
        await action(resources)


async def scan_due_steps(ctx: JobContext) -> int:
    """Enqueue every step that is due (batches of SCAN_BATCH, oldest first). The job ids match
    the deferred jobs', so a step already queued is not queued twice."""
    resources: Resources = ctx.resources
    total = 0
    async with resources.sessions.begin() as session:
        steps = await due_steps(session, datetime.now(UTC), limit=SCAN_BATCH)
    total += await schedule(resources.queue, steps)
    if total:
        log.info("due steps enqueued by scan", count=total)
    return total
