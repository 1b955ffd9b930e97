"""Win-back declared to the engine: a daily schedule selects lapsed customers (one keyset query
per page, queries.select_lapsed_page), step 1 offers a single-use code from a pre-created pool
at once, step 2 reminds them of the same code 7 days later; any order stops it, and an order
after an email was sent is attributed to it. The rule (rule.py) decides at selection and again
before each step and each email leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import CustomerChanged, OrderPlaced
from app.models import Customer, Order, ScenarioRun, Shop
from app.scenarios import conversions, engine, runs, step_email, timeline
from app.scenarios.engine import RunView, StepContext, StepNeeds, StepPlan, Subject
from app.scenarios.modes import Mode
from app.scenarios.winback import queries, rule
from app.scenarios.winback.content import ATTRIBUTED, CONTENT, DRY_RUN_OVER, KEY
from app.scenarios.winback.rule import STARTED_LAPSED, SkipReason
from app.scenarios.winback.settings import WinbackSettings

SCENARIO_PAUSED = "scenario_paused"
# The step whose code the whole run hands out (the reminder repeats it).
OFFER_STEP = 0


@dataclass(frozen=True)
class Lapsed:
    """What a step (and the outbox's last check) reads about its run's customer."""

    snapshot: rule.WinbackSnapshot | None
    locale: str | None


def steps(settings: WinbackSettings) -> list[StepPlan]:
    return [
        StepPlan(step.key, timedelta(seconds=step.delay_seconds), step.enabled)
        for step in settings.steps
    ]


def _whole_second(moment: datetime) -> datetime:
    """Shopify's timestamps have whole seconds: an order placed in the second the run started
    counts as placed after it."""
    return moment.replace(microsecond=0)


async def _load_settings(session: AsyncSession, shop_id: int) -> WinbackSettings:
    settings: WinbackSettings = await WINBACK.load_settings(session, shop_id)
    return settings


def subject_key(
    customer: queries.LapsedCustomer, lapse: rule.LapseRule, now: datetime, *, dry_run: bool
) -> str:
    """One run per customer per lapse and cooldown period: a customer selected again in the
    same period (a second walk, another worker) keys the same run; once the cooldown has
    passed (or after a new order, a new lapse) the key is new and the schedule may start
    another. A dry run's key is its own (queries.DRY_RUN_SUFFIX): going live after it starts
    the real run."""
    median = customer.median_interval_seconds
    snapshot = rule.WinbackSnapshot(
        email=customer.email,
        email_marketing_state=rule.SUBSCRIBED,
        redacted=False,
        shop_uninstalled=False,
        orders_count=customer.orders_count,
        last_order_at=customer.last_order_at,
        median_interval=timedelta(seconds=median) if median else None,
        last_win_back_at=None,
    )
    lapsed = rule.lapsed_at(snapshot, lapse) or customer.last_order_at
    period = max(0, int((now - lapsed) / lapse.cooldown))
    key = f"{customer.customer_id}:{lapsed.date().isoformat()}:{period}"
    return key + queries.DRY_RUN_SUFFIX if dry_run else key


# -- the schedule ---------------------------------------------------------------------------


async def select_page(
    session: AsyncSession, shop_id: int, after: Any, limit: int, now: datetime
) -> Sequence[Subject]:
    """One page of the shop's lapsed customers after customer id `after`: one indexed query
    (the shop's rule in the same query: consent, erasure, the cooldown, the shop installed)."""
    settings = await _load_settings(session, shop_id)
    lapse, dry_run = settings.lapse_rule, settings.mode == Mode.DRY_RUN
    page = await queries.select_lapsed_page(
        session, shop_id, after_id=int(after or 0), rule=lapse, now=now, limit=limit
    )
    return [
        Subject(
            subject_key(c, lapse, now, dry_run=dry_run),
            c.customer_id,
            c.email,
            position=c.customer_id,
        )
        for c in page
    ]


# -- facts ----------------------------------------------------------------------------------


async def order_placed(
    session: AsyncSession, fact: OrderPlaced, now: datetime
) -> list[runs.DueStep]:
    """Any order by the customer stops their running win-back (they came back); one placed
    after a win-back email left, within the attribution window, is attributed to it."""
    if fact.customer_id is None:
        return []
    # One look-up for every scenario the order concerns (the shopper's running runs and those
    # sent within the longest window): no win-back among them, nothing to do.
    if not any(
        seen.scenario == KEY for seen in await engine.runs_an_order_concerns(session, fact, now)
    ):
        return []
    order = await session.get(Order, fact.order_id)
    if order is None:
        return []
    settings = await _load_settings(session, fact.shop_id)
    placed = order.placed_at or now
    window = timedelta(days=settings.attribution_window_days)
    for run in await queries.runs_an_order_concerns_locked(
        session, fact.shop_id, fact.customer_id, placed - window
    ):
        await runs.end_for_order(session, run, SkipReason.CUSTOMER_ORDERED, now, order=order.name)
        if placed >= _whole_second(run.anchor_at) and await queries.email_sent_by(
            session, run, placed
        ):
            await _attribute(session, run, order, now)
    return []


async def _attribute(session: AsyncSession, run: ScenarioRun, order: Order, now: datetime) -> None:
    cost = await conversions.discount_cost(session, run, order)
    if await conversions.insert_conversion(session, run, order, "winback_email", cost):
        await timeline.record(
            session,
            shop_id=run.shop_id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=KEY,
            kind="recovered",
            reason=ATTRIBUTED,
            at=now,
            order=order.name,
            revenue=str(order.total_price),
            discount_cost=str(cost),
            currency=order.currency,
        )


# -- steps ----------------------------------------------------------------------------------


async def load_lapsed(session: AsyncSession, run: ScenarioRun, shop: Shop) -> Lapsed:
    if run.customer_id is None:
        return Lapsed(None, None)
    customer = await session.get(Customer, run.customer_id)
    snapshot = await queries.load_snapshot(session, shop.id, run.customer_id)
    return Lapsed(snapshot, customer.locale if customer else None)


async def condition(view: RunView[WinbackSettings, Lapsed]) -> str | None:
    """The live re-check before each step and before each email leaves: the rule's
    `why_not_send` (erased, unsubscribed, ordered since the start…), and the scenario paused."""
    if view.settings.mode == Mode.PAUSED:
        return SCENARIO_PAUSED
    if queries.is_dry_run(view.run.subject_key) and view.settings.mode != Mode.DRY_RUN:
        return DRY_RUN_OVER
    if view.subject.snapshot is None:
        return SkipReason.CUSTOMER_REDACTED
    return rule.why_not_send(view.subject.snapshot, _whole_second(view.run.anchor_at))


async def prepare(
    session: AsyncSession,
    run: ScenarioRun,
    shop: Shop,
    settings: WinbackSettings,
    step_index: int,
) -> StepNeeds | None:
    """The run's code, asked for outside any transaction: step 1 claims a single-use code of
    the offer's pool (one-off at Shopify when the pool is dry); the reminder asks again under
    step 1's key, so it gets the very code step 1 handed out (and its real end)."""
    if settings.mode in (Mode.PAUSED, Mode.DRY_RUN) or step_index >= len(settings.steps):
        return None
    offer = settings.steps[OFFER_STEP]
    if offer.discount is None or not settings.steps[step_index].enabled:
        return None
    if step_index != OFFER_STEP and not run.issued_codes:
        return None  # the offer went out without a code: the reminder has none to repeat
    return StepNeeds(
        shop_id=shop.id,
        shop_domain=shop.domain,
        code=step_email.code_request(
            shop,
            run,
            scenario=KEY,
            content=CONTENT,
            discount=offer.discount,
            prefix=settings.code_prefix,
            step_index=OFFER_STEP,
        ),
    )


async def send_email(
    context: StepContext[WinbackSettings, Lapsed],
) -> list[runs.DueStep] | None:
    """The step's action: the offer (or the reminder) into the outbox, with its code."""
    run, shop, settings = context.run, context.shop, context.settings
    if context.actions is None:  # pragma: no cover - the engine always passes its actions
        return []
    offer = settings.steps[OFFER_STEP].discount
    wants_code = (
        offer is not None
        and settings.mode != Mode.DRY_RUN
        and (context.step_index == OFFER_STEP or bool(run.issued_codes))
    )
    code = context.inputs.code
    if wants_code and code is None:
        return step_email.retry_for_code(context)
    message_context: dict[str, Any] = {}
    snapshot = context.subject.snapshot
    if snapshot is not None and snapshot.last_order_at is not None:
        message_context["last_order_at"] = snapshot.last_order_at.isoformat()
    if wants_code and code is not None and code.code not in run.issued_codes:
        run.issued_codes = [*run.issued_codes, code.code]
    message_context.update(step_email.offer_context(code if wants_code else None, offer))
    await step_email.queue_step_email(
        context,
        scenario=KEY,
        content=CONTENT,
        locale=context.subject.locale or shop.locale,
        message_context=message_context,
        transactional=settings.transactional,
        reason=STARTED_LAPSED,
        code=message_context.get("discount_code"),
    )
    return None


WINBACK: engine.Scenario[WinbackSettings, Lapsed] = engine.Scenario(
    key=KEY,
    settings_model=WinbackSettings,
    content=CONTENT,
    schedule=engine.ScheduleTrigger(
        every=timedelta(days=1), select_page=select_page, reason=STARTED_LAPSED, page_size=500
    ),
    stops_on={OrderPlaced: order_placed, CustomerChanged: engine.stops_on_unsubscribe(KEY)},
    steps=steps,
    load_subject=load_lapsed,
    condition=condition,
    prepare=prepare,
    action=send_email,
)
