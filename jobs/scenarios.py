"""Scenario jobs: run one due step of any scenario (the engine dispatches on the run's
scenario); scan for due steps a lost job or a Redis flush left; walk the scheduled scenarios'
selections, shop by shop and page by page, starting their runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from redis.exceptions import RedisError
from sqlalchemy import select

from app.errors import ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.models import Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.scenarios import engine
from app.scenarios.engine import DISCOUNT_REFUSED, SHOP_TOKEN_INVALID
from app.scenarios.runs import ScanPosition, due_steps, stop_step
from app.scenarios.scheduling import defer_steps, schedule
from jobs.live_actions import LiveStepActions
from jobs.reconcile import reconcile_before_step

log = structlog.get_logger(__name__)

SCAN_BATCH = 1000
SHOP_BATCH = 500


async def scenario_step(ctx: JobContext, run_id: int, step_index: int) -> None:
    """Three short phases, so no lock is held while Shopify is called: read what the step
    needs; fetch it (its code, its product images and cards: their own commits and calls);
    then lock, re-check and act.

    A shop whose token Shopify refused does no work: its step stops the run (timeline: why)
    instead of coming back with every due-step scan; so does a discount Shopify refuses. An
    unreachable or throttling Shopify is a queue retry with backoff."""
    resources: Resources = ctx.resources
    catalog = resources.platform.catalog
    actions = LiveStepActions(resources)
    # A shop whose deliveries had gaps: what no webhook brought is read back first.
    await reconcile_before_step(resources, run_id)
    async with resources.sessions.begin() as session:
        prepared = await engine.prepare_step(session, catalog, run_id, step_index)
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
            products = await actions.product_cards(needs.products) if needs.products else []
        except ShopTokenInvalid:
            async with resources.sessions.begin() as session:
                await stop_step(session, run_id, step_index, SHOP_TOKEN_INVALID, datetime.now(UTC))
            return
        except ShopifyUnavailable as exc:
            log.warning("step's inputs not fetched: Shopify unavailable; retrying", run=run_id)
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
        inputs = engine.StepInputs(code=code, images=images, products=tuple(products))
    async with resources.transaction() as session:
        following = await engine.run_step(
            session,
            catalog,
            run_id=run_id,
            step_index=step_index,
            now=datetime.now(UTC),
            actions=actions,
            inputs=inputs,
        )
        defer_steps(session, following)


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


# -- the schedule trigger -------------------------------------------------------------------


async def walk_schedule(
    resources: Resources, scenario: engine.Scenario[Any, Any], now: datetime
) -> engine.ScheduleReport:
    """One walk of a scheduled scenario: every installed shop (keyset over shop ids), every
    page of its selection (keyset over the selection's own index), one transaction per page;
    each page's first steps are enqueued when it commits. An uninstalled shop, one whose token
    Shopify refused, or one that paused the scenario is passed over."""
    shops = selected = started = 0
    after_shop = 0
    while True:
        async with resources.sessions.begin() as session:
            shop_ids = list(
                await session.scalars(
                    select(Shop.id)
                    .where(Shop.uninstalled_at.is_(None), Shop.id > after_shop)
                    .order_by(Shop.id)
                    .limit(SHOP_BATCH)
                )
            )
        for shop_id in shop_ids:
            async with resources.sessions.begin() as session:
                walks = await engine.schedule_runs_for(session, scenario, shop_id)
            if not walks:
                continue
            shops += 1
            after: Any = None
            while True:
                async with resources.transaction() as session:
                    page, due = await engine.start_scheduled_page(
                        session, scenario, shop_id, after, now
                    )
                    defer_steps(session, due)
                selected += len(page)
                started += len(due)
                if not page:
                    break
                after = page[-1].position
        if len(shop_ids) < SHOP_BATCH:
            return engine.ScheduleReport(shops=shops, selected=selected, started=started)
        after_shop = shop_ids[-1]


def _period(
    scenario: engine.Scenario[Any, Any], now: datetime, override: int | None = None
) -> tuple[str, int]:
    """The Redis key of the schedule's current period, and the period's length in seconds
    (the schedule's own `every`, unless the settings shorten every period: the demo)."""
    if scenario.schedule is None:  # pragma: no cover - only scheduled scenarios are walked
        raise ValueError(f"{scenario.key} has no schedule")
    every = max(1, override or int(scenario.schedule.every.total_seconds()))
    return f"boomerang:schedule:{scenario.key}:{int(now.timestamp()) // every}", every


async def run_schedules(ctx: JobContext) -> int:
    """The cron job (every minute): each scheduled scenario is walked once per period of its
    `every` (the first worker to claim the period in Redis walks it). Returns how many runs
    started."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    started = 0
    for scenario in resources.platform.catalog.scheduled():
        key, every = _period(scenario, now, resources.settings.schedule_period_seconds)
        try:
            if not await resources.redis.set(key, b"1", nx=True, ex=every):
                continue  # this period's walk is done or under way
        except RedisError:
            log.warning("schedule not walked: Redis unavailable", scenario=scenario.key)
            continue
        report = await walk_schedule(resources, scenario, now)
        log.info(
            "schedule walked",
            scenario=scenario.key,
            shops=report.shops,
            selected=report.selected,
            started=report.started,
        )
        started += report.started
    return started
