"""Scenario jobs: run one due step of any scenario (the engine dispatches on the run's
scenario); scan for due steps a lost job or a Redis flush left."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from app.db.after_commit import take_after_commit
from app.errors import ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.scenarios import engine
from app.scenarios.runs import ScanPosition, due_steps, stop_step
from app.scenarios.scheduling import schedule
from jobs.live_actions import LiveStepActions

log = structlog.get_logger(__name__)

SCAN_BATCH = 1000
# Why a step stopped its run (timeline reasons, beside the scenario's own).
SHOP_TOKEN_INVALID = "shop_token_invalid"  # noqa: S105 - a timeline reason, not a secret
DISCOUNT_REFUSED = "discount_refused_by_shopify"


async def scenario_step(ctx: JobContext, run_id: int, step_index: int) -> None:
    """Three short phases, so no lock is held while Shopify is called: read what the step
    needs; fetch it (its code, its product images: their own commits and calls); then lock,
    re-check and act.

    A shop whose token Shopify refused does no work: its step stops the run (timeline: why)
    instead of coming back with every due-step scan; so does a discount Shopify refuses. An
    unreachable or throttling Shopify is a queue retry with backoff."""
    resources: Resources = ctx.resources
    actions = LiveStepActions(resources)
    async with resources.sessions.begin() as session:
        prepared = await engine.prepare_step(session, run_id, step_index)
        if prepared is not None and prepared.token_refused:
            await stop_step(session, run_id, step_index, SHOP_TOKEN_INVALID, datetime.now(UTC))
            return
    if prepared is None:
        return
    inputs = engine.StepInputs()
    needs = prepared.needs
    if needs is not None:
        now = datetime.now(UTC)
        try:
            code = await actions.issue_code(needs.code, now) if needs.code else None
        except ShopTokenInvalid:
            async with resources.sessions.begin() as session:
                await stop_step(session, run_id, step_index, SHOP_TOKEN_INVALID, datetime.now(UTC))
            return
        except ShopifyUnavailable as exc:
            log.warning("step's code not issued: Shopify unavailable; retrying", run=run_id)
            raise RetryJob.backoff(ctx.attempt) from exc
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
        images = (
            await actions.variant_images(needs.shop_id, needs.shop_domain, needs.variant_ids)
            if needs.variant_ids
            else {}
        )
        inputs = engine.StepInputs(code=code, images=images)
    async with resources.sessions.begin() as session:
        following = await engine.run_step(
            session,
            run_id=run_id,
            step_index=step_index,
            now=datetime.now(UTC),
            actions=actions,
            inputs=inputs,
        )
        pending = take_after_commit(session)
    await schedule(resources.queue, following)
    for action in pending:
        await action(resources)


async def enqueue_due_steps(resources: Resources, now: datetime, *, batch: int = SCAN_BATCH) -> int:
    """Enqueue every step due at `now`, a page of `batch` at a time (keyset on due time and
    run id), so a backlog cannot hide the steps behind its first page. Job ids match the
    deferred jobs', so a step already queued is not queued twice. Returns how many were
    newly enqueued."""
    total = 0
    after: ScanPosition | None = None
    while True:
        async with resources.sessions.begin() as session:
            page = await due_steps(session, now, limit=batch, after=after)
        total += await schedule(resources.queue, page)
        if len(page) < batch:
            return total
        last = page[-1]
        after = ScanPosition(last.due_at, last.run_id)


async def scan_due_steps(ctx: JobContext) -> int:
    """The cron scan (every 5 s): what a lost job or a Redis flush left is found here."""
    resources: Resources = ctx.resources
    total = await enqueue_due_steps(resources, datetime.now(UTC))
    if total:
        log.info("due steps enqueued by scan", count=total)
    return total
