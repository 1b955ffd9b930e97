"""The welcome series declared to the engine: a customer created with marketing consent, or one
who subscribes later, gets one run (keyed by the customer, so a redelivered customers/create
or a sign-up followed by a subscription starts it once); the first order stops it. The rule
(rule.why_not) decides at the start, before each step and at the outbox's last check."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import CustomerChanged, CustomerCreated, CustomerSubscribed, OrderPlaced
from app.models import Customer, Order, ScenarioRun, Shop
from app.scenarios import conversions, engine, runs, step_email, timeline
from app.scenarios.actions import ProductsRequest
from app.scenarios.engine import RunView, StepContext, StepNeeds
from app.scenarios.modes import Mode
from app.scenarios.welcome import queries, rule
from app.scenarios.welcome.content import CONTENT, KEY, NO_PRODUCTS, STEP_DUE
from app.scenarios.welcome.rule import STARTED_ON_SIGN_UP, STARTED_ON_SUBSCRIBE, StopReason
from app.scenarios.welcome.settings import WelcomeSettings

BEST_SELLERS = "best_sellers"
# Sales older than this do not rank a product among the best-sellers.
BEST_SELLERS_SINCE = timedelta(days=90)
# Ranked products asked of Shopify per card shown: some may be off sale by now.
RANKED_PER_CARD = 2
# How a first order was attributed: attributed_via_welcome_email.
VIA_EMAIL = "welcome_email"
# Not worth a line on the timeline: nothing a merchant would look for (a paused series would
# write one on every sign-up of a shop that never turned it on).
_SILENT = frozenset(
    {StopReason.SHOP_UNINSTALLED, StopReason.SCENARIO_PAUSED, StopReason.CUSTOMER_REDACTED}
)
# A run that no longer has its customer's row (the shop's data was erased).
CUSTOMER_MISSING = "customer_missing"


@dataclass(frozen=True)
class Newcomer:
    """What a step (and the outbox's last check) reads about the run's customer."""

    snapshot: rule.WelcomeSnapshot | None
    customer: Customer | None


def subject_key(customer_id: int) -> str:
    """One run per customer, ever: the run's natural key."""
    return f"customer:{customer_id}"


def _decide(snapshot: rule.WelcomeSnapshot, settings: WelcomeSettings) -> StopReason | None:
    return rule.why_not(replace(snapshot, scenario_paused=settings.mode == Mode.PAUSED))


async def _load_settings(session: AsyncSession, shop_id: int) -> WelcomeSettings:
    settings: WelcomeSettings = await WELCOME.load_settings(session, shop_id)
    return settings


# -- facts ----------------------------------------------------------------------------------


async def _start(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    email: str | None,
    started_because: str,
    now: datetime,
) -> list[runs.DueStep]:
    """Start the customer's series unless the rule says why not (on the timeline when a
    merchant would want to know). The delays count from now, when we learn of it: a late
    delivery does not bunch the steps."""
    shop = await session.get(Shop, shop_id)
    snapshot = await queries.load_snapshot(session, shop_id, customer_id)
    if shop is None or snapshot is None:
        return []
    settings = await _load_settings(session, shop_id)
    reason = _decide(snapshot, settings)
    if reason is not None:
        existing = await runs.lock_by_subject(
            session, shop_id=shop_id, scenario=KEY, subject_key=subject_key(customer_id)
        )
        if reason not in _SILENT and existing is None:
            await timeline.record(
                session,
                shop_id=shop_id,
                customer_id=customer_id,
                scenario=KEY,
                kind="not_started",
                reason=reason,
                at=now,
            )
        return []
    plan = rule.steps(settings)
    run, created = await runs.start_or_get(
        session,
        shop_id=shop_id,
        scenario=KEY,
        subject_key=subject_key(customer_id),
        customer_id=customer_id,
        email=email or snapshot.email,
        anchor_at=now,
        first_step_at=engine.due_at(now, plan, 0),
    )
    if not created or run.next_step_at is None:
        return []  # welcomed already (a redelivery, or a sign-up then a subscription)
    await timeline.record(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        run_id=run.id,
        scenario=KEY,
        kind="started",
        reason=started_because,
        at=now,
        first_step_at=run.next_step_at.isoformat(),
    )
    return [runs.DueStep(run.id, 0, run.next_step_at)]


async def customer_created(
    session: AsyncSession, fact: CustomerCreated, now: datetime
) -> list[runs.DueStep]:
    """A sign-up (said once per customer): welcomed when they agreed to marketing emails."""
    return await _start(
        session,
        shop_id=fact.shop_id,
        customer_id=fact.customer_id,
        email=fact.email,
        started_because=STARTED_ON_SIGN_UP,
        now=now,
    )


async def customer_subscribed(
    session: AsyncSession, fact: CustomerSubscribed, now: datetime
) -> list[runs.DueStep]:
    """A customer agreed to marketing emails later: welcomed then (once: the run's key)."""
    return await _start(
        session,
        shop_id=fact.shop_id,
        customer_id=fact.customer_id,
        email=fact.email,
        started_because=STARTED_ON_SUBSCRIBE,
        now=now,
    )


def _order_subject(order: OrderPlaced) -> str | None:
    return subject_key(order.customer_id) if order.customer_id is not None else None


async def order_placed(
    session: AsyncSession, fact: OrderPlaced, now: datetime
) -> list[runs.DueStep]:
    """The first order ends the series, and is attributed to it when it came within the
    attribution window after a welcome email that left."""
    if fact.customer_id is None:
        return []
    key = subject_key(fact.customer_id)
    # One look-up for every scenario the order concerns: no welcome run, nothing to do.
    if not any(
        seen.scenario == KEY and seen.subject_key == key
        for seen in await engine.runs_an_order_concerns(session, fact, now)
    ):
        return []
    run = await runs.lock_by_subject(session, shop_id=fact.shop_id, scenario=KEY, subject_key=key)
    order = await session.get(Order, fact.order_id)
    if run is None or order is None:
        return []
    await runs.end_for_order(session, run, StopReason.CUSTOMER_ORDERED, now, order=order.name)
    settings = await _load_settings(session, fact.shop_id)
    placed = order.placed_at or now
    sent = run.last_step_sent_at
    window = timedelta(days=settings.attribution_window_days)
    # Shopify's timestamps have whole seconds: an order in the second of the send counts.
    if sent is not None and sent.replace(microsecond=0) <= placed <= sent + window:
        cost = await conversions.discount_cost(session, run, order)
        if await conversions.insert_conversion(session, run, order, VIA_EMAIL, cost):
            await timeline.record(
                session,
                shop_id=fact.shop_id,
                customer_id=fact.customer_id,
                run_id=run.id,
                scenario=KEY,
                kind="recovered",
                reason=f"attributed_via_{VIA_EMAIL}",
                at=now,
                order=order.name,
                revenue=str(order.total_price),
                discount_cost=str(cost),
                currency=order.currency,
            )
    return []


# -- steps ----------------------------------------------------------------------------------


async def load_newcomer(session: AsyncSession, run: ScenarioRun, shop: Shop) -> Newcomer:
    if run.customer_id is None:
        return Newcomer(None, None)
    return Newcomer(
        await queries.load_snapshot(session, shop.id, run.customer_id),
        await session.get(Customer, run.customer_id),
    )


async def condition(view: RunView[WelcomeSettings, Newcomer]) -> str | None:
    """The live re-check before each step and before each email leaves: the rule that
    decided the start."""
    snapshot = view.subject.snapshot
    if snapshot is None:
        return CUSTOMER_MISSING
    return _decide(snapshot, view.settings)


async def prepare(
    session: AsyncSession,
    run: ScenarioRun,
    shop: Shop,
    settings: WelcomeSettings,
    step_index: int,
) -> StepNeeds | None:
    """What the step needs from Shopify, read without locks and fetched with none held: its
    code (the first-order code when the merchant turned it on, the offer's), and for the
    best-sellers step the cards of the shop's best-selling products."""
    step = step_email.step_to_prepare(settings, step_index)
    if step is None:
        return None
    code = step_email.step_code(
        shop, run, settings, step, scenario=KEY, content=CONTENT, step_index=step_index
    )
    products = None
    if step.key == BEST_SELLERS:
        ranked = await queries.best_selling_product_ids(
            session,
            shop.id,
            since=datetime.now(UTC) - BEST_SELLERS_SINCE,
            limit=settings.best_sellers_count * RANKED_PER_CARD,
        )
        products = ProductsRequest(
            shop_id=shop.id,
            shop_domain=shop.domain,
            ranked_product_ids=tuple(ranked),
            count=settings.best_sellers_count,
            shop_url=f"https://{shop.domain}",
        )
    if code is None and products is None:
        return None
    return StepNeeds(shop_id=shop.id, shop_domain=shop.domain, code=code, products=products)


def _product_cards(context: StepContext[WelcomeSettings, Newcomer]) -> list[dict[str, Any]]:
    return [
        {
            "title": card.title,
            "url": card.url,
            "image_url": card.image_url,
            "price": str(card.price),
            "price_varies": card.price_varies,
        }
        for card in context.inputs.products
    ]


async def send_welcome(
    context: StepContext[WelcomeSettings, Newcomer],
) -> list[runs.DueStep] | None:
    """The step's action: its email into the outbox, with its code issued and its products
    fetched beforehand."""
    run, shop, settings, now = context.run, context.shop, context.settings, context.now
    step = settings.steps[context.step_index]
    if context.actions is None:  # pragma: no cover - the job always gives its actions
        return []
    code = context.inputs.code
    if step.discount is not None and settings.mode != Mode.DRY_RUN and code is None:
        return step_email.retry_for_code(context)
    if step.discount is None or settings.mode == Mode.DRY_RUN:
        code = None
    message_context: dict[str, Any] = {"welcome_step": step.key}
    if step.key == BEST_SELLERS:
        message_context["products"] = _product_cards(context)
        if not message_context["products"]:
            await timeline.record(
                context.session,
                shop_id=shop.id,
                customer_id=run.customer_id,
                run_id=run.id,
                scenario=KEY,
                kind="step_skipped",
                step=context.step_index + 1,
                reason=NO_PRODUCTS,
                at=now,
            )
            return None
    if code is not None:
        run.issued_codes = [*run.issued_codes, code.code]
    message_context.update(step_email.offer_context(code, step.discount))
    customer = context.subject.customer
    await step_email.queue_step_email(
        context,
        scenario=KEY,
        content=CONTENT,
        locale=(customer.locale if customer else None) or shop.locale or "en",
        message_context=message_context,
        # A welcome is marketing: it never goes without consent (the rule checks it).
        transactional=False,
        reason=STEP_DUE,
        code=code.code if code else None,
    )
    return None


WELCOME: engine.Scenario[WelcomeSettings, Newcomer] = engine.Scenario(
    key=KEY,
    settings_model=WelcomeSettings,
    content=CONTENT,
    starts_on={CustomerCreated: customer_created, CustomerSubscribed: customer_subscribed},
    stops_on={OrderPlaced: order_placed, CustomerChanged: engine.stops_on_unsubscribe(KEY)},
    steps=rule.steps,
    load_subject=load_newcomer,
    condition=condition,
    prepare=prepare,
    action=send_welcome,
    order_subject=_order_subject,
)
