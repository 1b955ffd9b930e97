"""Scenario jobs: run one due step; scan for due steps a lost job or a Redis flush left."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.after_commit import take_after_commit
from app.errors import ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.models import ScenarioRun, Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.scenarios import abandoned_cart
from app.scenarios.live_actions import LiveStepActions
from app.scenarios.runs import due_steps, stop_step
from app.scenarios.scheduling import schedule

log = structlog.get_logger(__name__)

SCAN_BATCH = 1000
# Why a step stopped its run (timeline reasons, beside the scenario's own).
SHOP_TOKEN_INVALID = "shop_token_invalid"  # noqa: S105 - a timeline reason, not a secret
DISCOUNT_REFUSED = "discount_refused_by_shopify"


async def scenario_step(ctx: JobContext, run_id: int, step_index: int) -> None:
    """Three short phases, so no lock is held while Shopify is called: read what code the
    step needs; issue it (its own commits); then lock, re-check and queue the message.

    A shop whose token Shopify refused does no work: its step stops the run (timeline: why)
    instead of coming back with every due-step scan; so does a discount Shopify refuses. An
    unreachable or throttling Shopify is a queue retry with backoff."""
    resources: Resources = ctx.resources
    actions = LiveStepActions(resources)
    async with resources.sessions.begin() as session:
        if await _shop_token_refused(session, run_id):
            await stop_step(session, run_id, step_index, SHOP_TOKEN_INVALID, datetime.now(UTC))
            return
        request = await abandoned_cart.code_request(session, run_id=run_id, step_index=step_index)
    try:
        code = await actions.issue_code(request, datetime.now(UTC)) if request else None
    except ShopTokenInvalid:
        async with resources.sessions.begin() as session:
            await stop_step(session, run_id, step_index, SHOP_TOKEN_INVALID, datetime.now(UTC))
        return
    except ShopifyUnavailable as exc:
        log.warning("step's code not issued: Shopify unavailable; retrying", run=run_id)
        raise RetryJob(defer=min(300.0, 5.0 * 2 ** min(ctx.attempt, 6))) from exc
    except ShopifyUserErrors as exc:
        async with resources.sessions.begin() as session:
            await stop_step(
                session,
                run_id,
                step_index,
                DISCOUNT_REFUSED,
                datetime.now(UTC),
                error=exc.detail[:500],
            )
        return
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


async def _shop_token_refused(session: AsyncSession, run_id: int) -> bool:
    refused_at = await session.scalar(
        select(Shop.token_invalid_at)
        .join(ScenarioRun, ScenarioRun.shop_id == Shop.id)
        .where(ScenarioRun.id == run_id)
    )
    return refused_at is not None


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
