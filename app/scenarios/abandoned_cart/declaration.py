"""The abandoned cart declared to the engine: the facts that start and stop it, how a step
reads its cart and what it does, with the rule (rule.py) deciding at every turn."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import CheckoutChanged, CustomerChanged, OrderPlaced
from app.inbox import backlog
from app.models import Checkout, Customer, Message, Order, ScenarioRun, Shop
from app.scenarios import conversions, engine, runs, step_email, timeline
from app.scenarios.abandoned_cart import queries, rule
from app.scenarios.abandoned_cart.content import (
    ABANDONED,
    CONTENT,
    CUSTOMER_ORDERED,
    INBOX_BEHIND,
    KEY,
    NOT_COMPLETED,
    ORDER_PLACED,
    SUPERSEDED,
    VIA_CHECKOUT,
    VIA_ENGAGEMENT,
)
from app.scenarios.abandoned_cart.settings import AbandonedCartSettings
from app.scenarios.engine import RunView, StepContext, StepNeeds
from app.scenarios.modes import Mode
from app.scenarios.runs import stop_run


@dataclass(frozen=True)
class Cart:
    """What a step (and the outbox's last check) reads about its run."""

    checkout: rule.CheckoutSnapshot | None
    customer: Customer | None
    ordered_for_checkout: bool
    ordered_since_changed: bool
    # The shop has more unprocessed order and checkout deliveries than a check reads (the
    # worker is behind): an order among the unread ones would be missed.
    inbox_behind: bool = False


def _state(
    shop: Shop, settings: AbandonedCartSettings, cart: Cart, contact: str | None
) -> rule.CartState:
    return rule.CartState(
        shop_installed=shop.uninstalled_at is None,
        mode=settings.mode,
        transactional=settings.transactional,
        checkout=cart.checkout,
        contact_email=contact,
        ordered_for_checkout=cart.ordered_for_checkout,
        ordered_since_changed=cart.ordered_since_changed,
        marketing_state=cart.customer.email_marketing_state if cart.customer else None,
        has_customer=cart.customer is not None,
    )


async def _load_settings(session: AsyncSession, shop_id: int) -> AbandonedCartSettings:
    settings: AbandonedCartSettings = await ABANDONED_CART.load_settings(session, shop_id)
    return settings


# -- facts ----------------------------------------------------------------------------------


async def checkout_changed(
    session: AsyncSession, fact: CheckoutChanged, now: datetime
) -> list[runs.DueStep]:
    """A checkout was created or updated (the stored row is already the newest version).
    Start, re-time or stop its run; returns the steps to schedule after commit."""
    shop = await session.get(Shop, fact.shop_id)
    checkout = await session.get(Checkout, fact.checkout_id)
    if shop is None or checkout is None:
        return []
    email = await queries.contact_email(session, checkout)
    await queries.serialize_shopper(session, shop.id, email)
    settings = await _load_settings(session, shop.id)
    plan = rule.steps(settings)
    existing = await runs.lock_by_subject(
        session, shop_id=shop.id, scenario=KEY, subject_key=checkout.token
    )
    if existing is not None and existing.status != runs.ACTIVE:
        return []
    if existing is not None:
        return await _update_active_run(session, existing, checkout, email, plan, now)

    anchor = checkout.shopify_updated_at or now
    ordered_for_checkout, ordered_since = await queries.orders_against(
        session, shop.id, checkout.token, checkout.customer_id, email, anchor
    )
    cart = Cart(queries.snapshot(checkout), None, ordered_for_checkout, ordered_since)
    # Don't start what cannot or must not run: each reason is on the timeline.
    reason = rule.why_not_remind(_state(shop, settings, cart, email))
    if reason is not None:
        if rule.noted_when_not_started(reason) and checkout.customer_id is not None:
            await timeline.record(
                session,
                shop_id=shop.id,
                customer_id=checkout.customer_id,
                scenario=KEY,
                kind="not_started",
                reason=reason,
                at=now,
                checkout=checkout.token,
            )
        return []

    run, created = await runs.start_or_get(
        session,
        shop_id=shop.id,
        scenario=KEY,
        subject_key=checkout.token,
        customer_id=checkout.customer_id,
        email=email,
        anchor_at=anchor,
        first_step_at=engine.due_at(anchor, plan, 0),
    )
    if not created:  # a concurrent delivery started it first
        return []
    await timeline.record(
        session,
        shop_id=shop.id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=KEY,
        kind="started",
        reason=ABANDONED,
        at=now,
        checkout=checkout.token,
        first_step_at=run.next_step_at.isoformat() if run.next_step_at else None,
        cart_value=str(checkout.total_price),
        currency=checkout.currency,
    )
    await _supersede(session, run, now)
    if run.status != runs.ACTIVE or run.next_step_at is None:
        return []  # a newer checkout of this customer already runs
    return [runs.DueStep(run.id, 0, run.next_step_at)]


async def _update_active_run(
    session: AsyncSession,
    run: ScenarioRun,
    checkout: Checkout,
    email: str | None,
    plan: list[engine.StepPlan],
    now: datetime,
) -> list[runs.DueStep]:
    reason = rule.why_stop_on_change(queries.snapshot(checkout))
    if reason is not None:
        await stop_run(session, run, reason, now, checkout=checkout.token)
        return []
    run.customer_id = run.customer_id or checkout.customer_id
    run.email = email or run.email
    anchor = checkout.shopify_updated_at
    if anchor is not None and rule.restarts_clock(run.step_index, run.anchor_at, anchor):
        run.anchor_at = anchor
        run.next_step_at = engine.due_at(anchor, plan, 0)
        return [runs.DueStep(run.id, 0, run.next_step_at)]
    return []


async def _supersede(session: AsyncSession, run: ScenarioRun, now: datetime) -> None:
    """One reminder sequence per shopper at a time: the newest checkout wins, the others
    stop."""
    others = await queries.other_active_runs_locked(session, run)
    if not others:
        return
    everyone = [run, *others]
    winner = rule.newest([rule.RunRef(r.id, r.anchor_at) for r in everyone])
    newest = next(r for r in everyone if r.id == winner.id)
    for other in everyone:
        if other is not newest:
            await stop_run(session, other, SUPERSEDED, now, by_checkout=newest.subject_key)


async def order_placed(
    session: AsyncSession, fact: OrderPlaced, now: datetime
) -> list[runs.DueStep]:
    """An order stops its checkout's run and the customer's other runs, and is attributed to
    the scenario when a reminder that was actually sent brought it back. The runs it may
    concern are looked up once for every scenario (engine.runs_an_order_concerns, under the
    shopper's lock): a shopper with no cart run costs nothing more here."""
    if not any(
        seen.scenario == KEY for seen in await engine.runs_an_order_concerns(session, fact, now)
    ):
        return []
    shop = await session.get(Shop, fact.shop_id)
    order = await session.get(Order, fact.order_id)
    if shop is None or order is None:
        return []
    await queries.serialize_shopper(session, shop.id, order.email)  # held: no round trip
    settings = await _load_settings(session, shop.id)
    placed = order.placed_at or now
    if order.checkout_token:
        run = await runs.lock_by_subject(
            session, shop_id=shop.id, scenario=KEY, subject_key=order.checkout_token
        )
        if run is not None:
            await runs.end_for_order(session, run, ORDER_PLACED, now, order=order.name)
            if await queries.reminder_sent_by(session, run, placed):
                await _attribute(session, run, order, VIA_CHECKOUT, now)
    window = timedelta(days=settings.attribution_window_days)
    for run in await queries.runs_an_order_concerns_locked(session, shop.id, order, placed, window):
        if rule.order_stops_run(run.anchor_at, placed):
            await runs.end_for_order(session, run, CUSTOMER_ORDERED, now, order=order.name)
        if rule.engagement_attributes(run.engaged_at, placed, window):
            await _attribute(session, run, order, VIA_ENGAGEMENT, now)
    return []


async def _attribute(
    session: AsyncSession, run: ScenarioRun, order: Order, via: str, now: datetime
) -> None:
    cost = await conversions.discount_cost(session, run, order)
    if await conversions.insert_conversion(session, run, order, via, cost):
        await timeline.record(
            session,
            shop_id=run.shop_id,
            customer_id=order.customer_id or run.customer_id,
            run_id=run.id,
            scenario=KEY,
            kind="recovered",
            reason=f"attributed_via_{via}",
            at=now,
            order=order.name,
            revenue=str(order.total_price),
            discount_cost=str(cost),
            currency=order.currency,
        )


async def engaged(session: AsyncSession, message: Message, at: datetime) -> None:
    """A reminder was opened or clicked by a person: the attribution window starts."""
    run = await runs.lock_by_subject(
        session, shop_id=message.shop_id, scenario=KEY, subject_key=message.subject_key
    )
    if run is not None and (run.engaged_at is None or at > run.engaged_at):
        run.engaged_at = at


# -- steps ----------------------------------------------------------------------------------


async def load_cart(session: AsyncSession, run: ScenarioRun, shop: Shop) -> Cart:
    """The cart as a step and the outbox's last check read it: the stored checkout and
    orders, and what order and checkout deliveries still unprocessed in the inbox say (a
    delivery whose job was lost waits for the sweeper; the reminder must not go meanwhile)."""
    token = run.subject_key
    customer = await queries.customer_of_run(session, shop.id, run)
    checkout = await queries.checkout_by_token(session, shop.id, token)
    ordered_for_checkout, ordered_since = await queries.orders_against(
        session, shop.id, token, run.customer_id, run.email, run.anchor_at
    )
    inbox = await queries.unprocessed_deliveries(
        session,
        shop.id,
        token=token,
        customer_shopify_id=customer.shopify_id if customer is not None else None,
        email=run.email,
    )
    inbox_for_checkout, inbox_since = rule.inbox_orders_against(
        inbox.orders,
        token,
        customer.shopify_id if customer is not None else None,
        run.email,
        run.anchor_at,
    )
    snapshot = queries.snapshot(checkout) if checkout is not None else None
    if snapshot is not None and rule.inbox_completes(inbox.checkouts, token):
        snapshot = replace(snapshot, completed=True)
    return Cart(
        snapshot,
        customer,
        ordered_for_checkout or inbox_for_checkout,
        ordered_since or inbox_since,
        inbox_behind=inbox.partial,
    )


async def condition(view: RunView[AbandonedCartSettings, Cart]) -> str | None:
    """The live re-check before each step and before each reminder leaves. What is known
    (the stored checkout, orders and customer) may stop the run; a reminder goes only when
    the waiting deliveries were read too: with the inbox behind, the step and the send
    wait."""
    reason = rule.why_not_send(_state(view.shop, view.settings, view.subject, view.run.email))
    if reason is None and view.subject.inbox_behind:
        raise engine.NotYet(INBOX_BEHIND, backlog.checks_of(view.session).recheck_after)
    return reason


async def prepare(
    session: AsyncSession,
    run: ScenarioRun,
    shop: Shop,
    settings: AbandonedCartSettings,
    step_index: int,
) -> StepNeeds | None:
    """What the step will need, read without locks: the code it hands out, if any, and the
    cart's variant images. Fetched between two transactions, never while a lock is held."""
    step = step_email.step_to_prepare(settings, step_index)
    if step is None:
        return None
    code = step_email.step_code(
        shop, run, settings, step, scenario=KEY, content=CONTENT, step_index=step_index
    )
    checkout = await queries.checkout_by_token(session, shop.id, run.subject_key)
    return StepNeeds(
        shop_id=shop.id,
        shop_domain=shop.domain,
        code=code,
        variant_ids=rule.variant_ids(queries.snapshot(checkout) if checkout else None),
    )


async def send_reminder(
    context: StepContext[AbandonedCartSettings, Cart],
) -> list[runs.DueStep] | None:
    """The step's action: the reminder into the outbox, with the code issued beforehand."""
    run, shop, settings = context.run, context.shop, context.settings
    checkout, customer = context.subject.checkout, context.subject.customer
    step = settings.steps[context.step_index]
    if checkout is None or context.actions is None:  # pragma: no cover - the condition stops it
        return []
    code = context.inputs.code
    if step.discount is not None and settings.mode != Mode.DRY_RUN and code is None:
        return step_email.retry_for_code(context)
    if step.discount is None or settings.mode == Mode.DRY_RUN:
        code = None
    message_context = rule.cart_context(checkout, shop.currency, context.inputs.images)
    if code is not None:
        run.issued_codes = [*run.issued_codes, code.code]
    message_context.update(step_email.offer_context(code, step.discount))
    message_context["checkout_url"] = rule.recovery_link(
        checkout.abandoned_checkout_url, code.code if code else None
    )
    await step_email.queue_step_email(
        context,
        scenario=KEY,
        content=CONTENT,
        locale=checkout.locale or (customer.locale if customer else None) or shop.locale,
        message_context=message_context,
        transactional=settings.transactional,
        reason=NOT_COMPLETED,
        code=code.code if code else None,
    )
    return None


ABANDONED_CART: engine.Scenario[AbandonedCartSettings, Cart] = engine.Scenario(
    key=KEY,
    settings_model=AbandonedCartSettings,
    content=CONTENT,
    starts_on={CheckoutChanged: checkout_changed},
    stops_on={OrderPlaced: order_placed, CustomerChanged: engine.stops_on_unsubscribe(KEY)},
    steps=rule.steps,
    load_subject=load_cart,
    condition=condition,
    prepare=prepare,
    action=send_reminder,
    hooks=engine.Hooks(on_engaged=engaged),
    order_subject=lambda order: order.checkout_token,
)
