"""Abandoned cart: a checkout with a contact and items, not completed after the first delay,
gets up to three reminders (the later ones with a unique code) until it is bought, emptied,
superseded or the customer may no longer be written to. Declared to the engine at the bottom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import CheckoutChanged, CustomerChanged, OrderPlaced
from app.messaging.guards import Outcome, SendOutcome
from app.models import (
    Checkout,
    Customer,
    Message,
    Order,
    OrderDiscountCode,
    ScenarioConversion,
    ScenarioRun,
    Shop,
)
from app.scenarios import engine, runs, timeline
from app.scenarios.actions import CodeRequest, EmailRequest
from app.scenarios.config import AbandonedCartSettings
from app.scenarios.engine import StepContext, StepNeeds, StepPlan
from app.scenarios.labels import reason_code
from app.scenarios.modes import Mode
from app.scenarios.settings_store import load_settings

SCENARIO = "abandoned_cart"

# Stop reasons, as they appear on the timeline (labels: app/scenarios/labels.py).
CHECKOUT_COMPLETED = "checkout_completed"
ORDER_PLACED = "order_placed_for_checkout"
CUSTOMER_ORDERED = "customer_placed_another_order"
CHECKOUT_EMPTIED = "checkout_emptied"
SUPERSEDED = "superseded_by_newer_checkout"
UNSUBSCRIBED = "customer_unsubscribed"
NO_CONSENT = "no_marketing_consent"
SHOP_UNINSTALLED = "shop_uninstalled"
SCENARIO_PAUSED = "scenario_paused"
NO_CONTACT = "no_contact_email"
# Why a run starts, and why a step goes.
ABANDONED = "checkout_abandoned"
NOT_COMPLETED = "checkout_not_completed"

MARKETING_OK = frozenset({"subscribed"})


async def _settings(session: AsyncSession, shop_id: int) -> AbandonedCartSettings:
    settings = await load_settings(session, shop_id, SCENARIO)
    if not isinstance(settings, AbandonedCartSettings):
        raise TypeError("abandoned_cart settings model is mis-registered")
    return settings


def steps(settings: AbandonedCartSettings) -> list[StepPlan]:
    return [
        StepPlan(step.key, timedelta(seconds=step.delay_seconds), step.enabled)
        for step in settings.steps
    ]


def _same_shopper(
    model: type[Order] | type[ScenarioRun], customer_id: int | None, email: str | None
) -> ColumnElement[bool] | None:
    """Rows of the same shopper: by customer id or by email (guests, and customers known
    under one email before Shopify linked them). None when there is nothing to match on."""
    who: list[ColumnElement[bool]] = []
    if customer_id is not None:
        who.append(model.customer_id == customer_id)
    if email:
        who.append(func.lower(model.email) == email.lower())
    return or_(*who) if who else None


async def _order_for_checkout(session: AsyncSession, shop_id: int, token: str) -> Order | None:
    result: Order | None = await session.scalar(
        select(Order).where(Order.shop_id == shop_id, Order.checkout_token == token).limit(1)
    )
    return result


async def _customer_order_since(
    session: AsyncSession, shop_id: int, customer_id: int | None, email: str | None, since: datetime
) -> Order | None:
    """Any order of the shopper (by id or email) placed at or after `since`: the checkout's own
    time, not when we happened to process it, so a late checkout webhook still sees an
    earlier order."""
    who = _same_shopper(Order, customer_id, email)
    if who is None:
        return None
    result: Order | None = await session.scalar(
        select(Order)
        .where(Order.shop_id == shop_id, who, Order.placed_at >= since)
        .order_by(Order.placed_at)
        .limit(1)
    )
    return result


async def _serialize_customer(session: AsyncSession, shop_id: int, email: str | None) -> None:
    """One decision at a time per customer: a checkout and an order (or two checkouts) of the
    same shopper processed at once would each miss the other's uncommitted row. Held until
    the transaction ends."""
    if email:
        key = f"{SCENARIO}:{shop_id}:{email.strip().lower()}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _contact_email(session: AsyncSession, checkout: Checkout) -> str | None:
    """The checkout's email, else its customer's: a logged-in shopper's checkout may carry no
    email of its own."""
    if checkout.email:
        return checkout.email
    if checkout.customer_id is None:
        return None
    customer = await session.get(Customer, checkout.customer_id)
    return customer.email if customer is not None and customer.email else None


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
    email = await _contact_email(session, checkout)
    await _serialize_customer(session, shop.id, email)
    settings = await _settings(session, shop.id)
    plan = steps(settings)
    existing = await runs.lock_by_subject(
        session, shop_id=shop.id, scenario=SCENARIO, subject_key=checkout.token
    )
    if existing is not None and existing.status != runs.ACTIVE:
        return []
    if existing is not None:
        return await _update_active_run(session, existing, checkout, email, plan, now)

    anchor = checkout.shopify_updated_at or now
    # Don't start what cannot or must not run: each reason is on the timeline.
    reason = None
    if shop.uninstalled_at is not None:
        reason = SHOP_UNINSTALLED
    elif settings.mode == Mode.PAUSED:
        reason = SCENARIO_PAUSED
    elif checkout.completed_at is not None:
        reason = CHECKOUT_COMPLETED
    elif not checkout.line_items:
        reason = CHECKOUT_EMPTIED
    elif not email:
        reason = NO_CONTACT
    elif await _order_for_checkout(session, shop.id, checkout.token) is not None:
        # The order arrived before this checkout event: never remind.
        reason = ORDER_PLACED
    elif (
        await _customer_order_since(session, shop.id, checkout.customer_id, email, anchor)
        is not None
    ):
        reason = CUSTOMER_ORDERED
    if reason is not None:
        if reason not in (NO_CONTACT, CHECKOUT_EMPTIED) and checkout.customer_id is not None:
            await timeline.record(
                session,
                shop_id=shop.id,
                customer_id=checkout.customer_id,
                scenario=SCENARIO,
                kind="not_started",
                reason=reason,
                at=now,
                checkout=checkout.token,
            )
        return []

    run, created = await runs.start_or_get(
        session,
        shop_id=shop.id,
        scenario=SCENARIO,
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
        scenario=SCENARIO,
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
    plan: list[StepPlan],
    now: datetime,
) -> list[runs.DueStep]:
    if checkout.completed_at is not None:
        await engine.stop(session, run, CHECKOUT_COMPLETED, now, checkout=checkout.token)
        return []
    if not checkout.line_items:
        await engine.stop(session, run, CHECKOUT_EMPTIED, now, checkout=checkout.token)
        return []
    run.customer_id = run.customer_id or checkout.customer_id
    run.email = email or run.email
    # Before the first reminder, a change to the checkout restarts the abandonment clock.
    anchor = checkout.shopify_updated_at
    if run.step_index == 0 and anchor is not None and anchor > run.anchor_at:
        run.anchor_at = anchor
        run.next_step_at = engine.due_at(anchor, plan, 0)
        return [runs.DueStep(run.id, 0, run.next_step_at)]
    return []


async def _supersede(session: AsyncSession, run: ScenarioRun, now: datetime) -> None:
    """One reminder sequence per customer at a time: the newest checkout (by Shopify's
    updated_at, not by which delivery we processed first) wins, the others stop."""
    who = _same_shopper(ScenarioRun, run.customer_id, run.email)
    if who is None:
        return
    others = list(
        await session.scalars(
            select(ScenarioRun)
            .where(
                ScenarioRun.shop_id == run.shop_id,
                ScenarioRun.scenario == SCENARIO,
                ScenarioRun.status == runs.ACTIVE,
                ScenarioRun.id != run.id,
                who,
            )
            .with_for_update(key_share=True)
        )
    )
    newest = max([run, *others], key=lambda r: (r.anchor_at, r.id))
    for other in [run, *others]:
        if other is not newest:
            await engine.stop(session, other, SUPERSEDED, now, by_checkout=newest.subject_key)


async def order_placed(
    session: AsyncSession, fact: OrderPlaced, now: datetime
) -> list[runs.DueStep]:
    """An order stops its checkout's run and the customer's other runs, and is attributed to
    the scenario when a reminder that was actually sent brought it back."""
    shop = await session.get(Shop, fact.shop_id)
    order = await session.get(Order, fact.order_id)
    if shop is None or order is None:
        return []
    await _serialize_customer(session, shop.id, order.email)
    settings = await _settings(session, shop.id)
    placed = order.placed_at or now
    if order.checkout_token:
        run = await runs.lock_by_subject(
            session, shop_id=shop.id, scenario=SCENARIO, subject_key=order.checkout_token
        )
        if run is not None:
            if run.status == runs.ACTIVE:
                await engine.stop(session, run, ORDER_PLACED, now, order=order.name)
            if await _reminder_sent_by(session, run, placed):
                await _attribute(session, run, order, "checkout_token", now)
    who = _same_shopper(ScenarioRun, order.customer_id, order.email)
    if who is None:
        return []
    window = timedelta(days=settings.attribution_window_days)
    # Only the runs this order can concern: still running, or engaged within the window (a
    # repeat customer's finished history stays unlocked).
    others = await session.scalars(
        select(ScenarioRun)
        .where(
            ScenarioRun.shop_id == shop.id,
            ScenarioRun.scenario == SCENARIO,
            who,
            ScenarioRun.subject_key != (order.checkout_token or ""),
            or_(
                ScenarioRun.status == runs.ACTIVE,
                ScenarioRun.engaged_at >= placed - window - timedelta(seconds=1),
            ),
        )
        .with_for_update(key_share=True)
    )
    for run in others:
        # An order placed since the checkout was last changed (its own time, not ours).
        if run.status == runs.ACTIVE and run.anchor_at <= placed:
            await engine.stop(session, run, CUSTOMER_ORDERED, now, order=order.name)
        # Shopify's timestamps have whole seconds: an order in the second of the click counts.
        engaged = run.engaged_at.replace(microsecond=0) if run.engaged_at else None
        if engaged is not None and engaged <= placed <= engaged + window:
            await _attribute(session, run, order, "engaged_customer", now)
    return []


async def _reminder_sent_by(session: AsyncSession, run: ScenarioRun, placed: datetime) -> bool:
    """Whether one of the run's reminders actually left (status sent) by the time the order
    was placed: drafts, messages held for approval, suppressed or failed ones bring nothing
    back, and neither does a reminder sent after the purchase (its order arrived late)."""
    sent = await session.scalar(
        select(
            exists().where(
                Message.shop_id == run.shop_id,
                Message.scenario == SCENARIO,
                Message.subject_key == run.subject_key,
                Message.status == "sent",
                # Shopify's timestamps have whole seconds: a reminder sent in the order's
                # second counts.
                func.date_trunc("second", Message.sent_at) <= placed,
            )
        )
    )
    return bool(sent)


async def _attribute(
    session: AsyncSession, run: ScenarioRun, order: Order, via: str, now: datetime
) -> None:
    discount_cost = Decimal(0)
    if run.issued_codes:
        discount_cost = await session.scalar(
            select(func.coalesce(func.sum(OrderDiscountCode.amount), 0)).where(
                OrderDiscountCode.shop_id == run.shop_id,
                OrderDiscountCode.order_id == order.id,
                func.upper(OrderDiscountCode.code).in_([c.upper() for c in run.issued_codes]),
            )
        ) or Decimal(0)
    inserted = await session.scalar(
        insert(ScenarioConversion)
        .values(
            shop_id=run.shop_id,
            scenario=SCENARIO,
            run_id=run.id,
            order_id=order.id,
            attributed_via=via,
            revenue=order.total_price or Decimal(0),
            discount_cost=discount_cost,
            currency=order.currency,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "order_id", "scenario"])
        .returning(ScenarioConversion.id)
    )
    if inserted is not None:
        await timeline.record(
            session,
            shop_id=run.shop_id,
            customer_id=order.customer_id or run.customer_id,
            run_id=run.id,
            scenario=SCENARIO,
            kind="recovered",
            reason=f"attributed_via_{via}",
            at=now,
            order=order.name,
            revenue=str(order.total_price),
            discount_cost=str(discount_cost),
            currency=order.currency,
        )


async def customer_changed(
    session: AsyncSession, fact: CustomerChanged, now: datetime
) -> list[runs.DueStep]:
    if fact.email_marketing_state == "unsubscribed":
        await customer_unsubscribed(session, fact.shop_id, fact.customer_id, now)
    return []


async def customer_unsubscribed(
    session: AsyncSession, shop_id: int, customer_id: int, now: datetime
) -> None:
    active = await session.scalars(
        select(ScenarioRun)
        .where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.scenario == SCENARIO,
            ScenarioRun.customer_id == customer_id,
            ScenarioRun.status == runs.ACTIVE,
        )
        .with_for_update(key_share=True)
    )
    for run in active:
        await engine.stop(session, run, UNSUBSCRIBED, now)


async def engaged(session: AsyncSession, message: Message, at: datetime) -> None:
    """A reminder was opened or clicked by a person: the attribution window starts."""
    run = await runs.lock_by_subject(
        session, shop_id=message.shop_id, scenario=SCENARIO, subject_key=message.subject_key
    )
    if run is not None and (run.engaged_at is None or at > run.engaged_at):
        run.engaged_at = at


# -- steps ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cart:
    """What a step reads about its run: the checkout and the customer."""

    checkout: Checkout | None
    customer: Customer | None


async def _checkout(session: AsyncSession, shop_id: int, token: str) -> Checkout | None:
    result: Checkout | None = await session.scalar(
        select(Checkout).where(Checkout.shop_id == shop_id, Checkout.token == token)
    )
    return result


async def load_cart(session: AsyncSession, run: ScenarioRun, shop: Shop) -> Cart:
    customer = await session.get(Customer, run.customer_id) if run.customer_id else None
    if customer is None and run.email:
        customer = await session.scalar(
            select(Customer)
            .where(Customer.shop_id == shop.id, func.lower(Customer.email) == run.email.lower())
            .limit(1)
        )
        if customer is not None:
            run.customer_id = customer.id
    return Cart(await _checkout(session, shop.id, run.subject_key), customer)


async def why_not_send(
    session: AsyncSession,
    *,
    shop: Shop,
    run: ScenarioRun,
    cart: Cart,
    settings: AbandonedCartSettings,
) -> str | None:
    """The live re-check made immediately before a reminder is sent: a reason to stop, or None.
    Also called by the outbox inside the transaction that claims the message."""
    checkout, customer = cart.checkout, cart.customer
    if shop.uninstalled_at is not None:
        return SHOP_UNINSTALLED
    if settings.mode == Mode.PAUSED:
        return SCENARIO_PAUSED
    if checkout is None or checkout.completed_at is not None:
        return CHECKOUT_COMPLETED
    if not checkout.line_items:
        return CHECKOUT_EMPTIED
    if await _order_for_checkout(session, shop.id, checkout.token) is not None:
        return ORDER_PLACED
    if (
        await _customer_order_since(session, shop.id, run.customer_id, run.email, run.anchor_at)
        is not None
    ):
        return CUSTOMER_ORDERED
    if customer is not None and customer.email_marketing_state == "unsubscribed":
        return UNSUBSCRIBED
    if not settings.transactional and (
        customer is None or customer.email_marketing_state not in MARKETING_OK
    ):
        return NO_CONSENT
    return None


async def condition(context: StepContext[AbandonedCartSettings, Cart]) -> str | None:
    return await why_not_send(
        context.session,
        shop=context.shop,
        run=context.run,
        cart=context.subject,
        settings=context.settings,
    )


def _variant_ids(checkout: Checkout | None) -> tuple[int, ...]:
    if checkout is None:
        return ()
    found = [item.get("variant_id") for item in checkout.line_items]
    return tuple(dict.fromkeys(v for v in found if isinstance(v, int)))


async def prepare(
    session: AsyncSession,
    run: ScenarioRun,
    shop: Shop,
    settings: AbandonedCartSettings,
    step_index: int,
) -> StepNeeds | None:
    """What the step will need, read without locks: the code it hands out, if any, and the
    cart's variant images. Fetched between two transactions, never while a lock is held."""
    if settings.mode == Mode.PAUSED or step_index >= len(settings.steps):
        return None
    step = settings.steps[step_index]
    if not step.enabled:
        return None
    code = None
    if step.discount is not None and settings.mode != Mode.DRY_RUN:
        code = CodeRequest(
            shop_id=shop.id,
            shop_domain=shop.domain,
            shop_locale=shop.locale,
            scenario=SCENARIO,
            idempotency_key=f"{SCENARIO}:{run.subject_key}:{step_index}",
            customer_id=run.customer_id,
            discount=step.discount,
            prefix=settings.code_prefix,
        )
    checkout = await _checkout(session, shop.id, run.subject_key)
    return StepNeeds(
        shop_id=shop.id, shop_domain=shop.domain, code=code, variant_ids=_variant_ids(checkout)
    )


def _cart_context(shop: Shop, checkout: Checkout, images: Mapping[int, str]) -> dict[str, Any]:
    items = [
        {
            "title": item.get("presentment_title") or item.get("title"),
            "variant_title": item.get("presentment_variant_title") or item.get("variant_title"),
            "quantity": item.get("quantity"),
            "price": item.get("price"),
            "image_url": item.get("image_url") or images.get(item.get("variant_id") or 0),
        }
        for item in checkout.line_items
    ]
    return {
        "items": items,
        "cart_total": str(checkout.total_price) if checkout.total_price is not None else None,
        "currency": checkout.presentment_currency or checkout.currency or shop.currency,
        "checkout_url": checkout.abandoned_checkout_url,
        "checkout_token": checkout.token,
    }


def recovery_link(url: str | None, code: str | None) -> str | None:
    """Shopify's recovery URL with the code applied (`discount=CODE`)."""
    if url is None or code is None:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}discount={code}"


_STEP_KINDS = {
    "queued": "step_queued",
    "draft": "step_drafted",
    "pending_approval": "step_awaiting_approval",
}


async def send_reminder(
    context: StepContext[AbandonedCartSettings, Cart],
) -> list[runs.DueStep] | None:
    """The step's action: the reminder into the outbox, with the code issued beforehand."""
    run, shop, settings, now = context.run, context.shop, context.settings, context.now
    checkout, customer = context.subject.checkout, context.subject.customer
    step = settings.steps[context.step_index]
    if checkout is None:  # pragma: no cover - the condition stops such a run
        return []
    code = context.inputs.code
    if step.discount is not None and settings.mode != Mode.DRY_RUN and code is None:
        # The settings changed since the code was asked for: ask again, shortly.
        return engine.retry_step(run, now, timedelta(seconds=1))
    if step.discount is None or settings.mode == Mode.DRY_RUN:
        code = None
    message_context = _cart_context(shop, checkout, context.inputs.images)
    if code is not None:
        run.issued_codes = [*run.issued_codes, code.code]
        message_context["discount_code"] = code.code
        message_context["discount_expires_at"] = code.expires_at.isoformat()
    if step.discount is not None:
        message_context["discount_kind"] = step.discount.kind
        message_context["discount_value"] = str(step.discount.value)
    message_context["checkout_url"] = recovery_link(
        checkout.abandoned_checkout_url, code.code if code else None
    )
    queued = await context.actions.queue_email(
        context.session,
        EmailRequest(
            shop=shop,
            scenario=SCENARIO,
            step=context.step_index + 1,
            subject_key=run.subject_key,
            customer_id=run.customer_id,
            locale=checkout.locale or (customer.locale if customer else None) or shop.locale,
            context=message_context,
            mode=settings.mode,
            transactional=settings.transactional,
            scheduled_at=now,
        ),
    )
    await timeline.record(
        context.session,
        shop_id=shop.id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=SCENARIO,
        kind=_STEP_KINDS.get(queued.status, "step_suppressed"),
        step=context.step_index + 1,
        reason=NOT_COMPLETED if queued.reason is None else reason_code(queued.reason),
        at=now,
        delay_seconds=step.delay_seconds,
        message_id=queued.message_id,
        message_status=queued.status,
        status_reason=queued.reason,
        mode=str(settings.mode),
        code=code.code if code else None,
    )
    return None


# -- the outbox's hooks ---------------------------------------------------------------------


async def message_still_wanted(session: AsyncSession, message: Message) -> str | None:
    """The outbox's last check before a reminder leaves: the run must still be active and
    the live state (order, completed checkout, consent, mode) must still call for it."""
    run = await runs.lock_by_subject(
        session, shop_id=message.shop_id, scenario=SCENARIO, subject_key=message.subject_key
    )
    if run is None:
        return None
    if run.status == runs.STOPPED:
        return run.stop_reason or "sequence_stopped"
    shop = await session.get(Shop, run.shop_id)
    if shop is None:
        return SHOP_UNINSTALLED
    checkout = await _checkout(session, shop.id, run.subject_key)
    customer = await session.get(Customer, message.customer_id) if message.customer_id else None
    settings = await _settings(session, shop.id)
    reason = await why_not_send(
        session, shop=shop, run=run, cart=Cart(checkout, customer), settings=settings
    )
    if reason is not None and run.status == runs.ACTIVE:
        await engine.stop(session, run, reason, datetime.now(UTC), at_send=True)
    return reason


async def lock_run(session: AsyncSession, shop_id: int, subject_key: str) -> None:
    await runs.lock_by_subject(session, shop_id=shop_id, scenario=SCENARIO, subject_key=subject_key)


_OUTCOME_REASONS = {
    Outcome.SENT: "smtp_accepted",
    Outcome.REJECTED: "rejected_by_merchant",
    Outcome.DRAFTED: "dry_run",
    Outcome.HELD: "approval_mode",
}


async def message_outcome(session: AsyncSession, outcome: SendOutcome) -> None:
    """Each reminder's fate on the customer's timeline; a sent one marks its run."""
    # The outbox took this run's lock (its subject lock) before any outcome: this reads it.
    run = await runs.lock_by_subject(
        session, shop_id=outcome.shop_id, scenario=SCENARIO, subject_key=outcome.subject_key
    )
    if outcome.kind == Outcome.SENT and run is not None:
        run.last_step_sent_at = outcome.at
    reason = outcome.reason or _OUTCOME_REASONS.get(outcome.kind, outcome.kind)
    await timeline.record(
        session,
        shop_id=outcome.shop_id,
        customer_id=outcome.customer_id or (run.customer_id if run else None),
        run_id=run.id if run else None,
        scenario=SCENARIO,
        kind=f"message_{outcome.kind}",
        step=outcome.step,
        reason=reason_code(reason),
        at=outcome.at,
        message_id=outcome.message_id,
        status_reason=outcome.reason,
        until=outcome.until.isoformat() if outcome.until else None,
    )


DECLARATION = engine.register(
    engine.Scenario(
        key=SCENARIO,
        settings_model=AbandonedCartSettings,
        load_settings=_settings,
        starts_on={CheckoutChanged: checkout_changed},
        stops_on={OrderPlaced: order_placed, CustomerChanged: customer_changed},
        steps=steps,
        load_subject=load_cart,
        condition=condition,
        prepare=prepare,
        action=send_reminder,
        hooks=engine.Hooks(
            guard=message_still_wanted,
            lock_subject=lock_run,
            on_engaged=engaged,
            on_unsubscribed=customer_unsubscribed,
            on_send_outcome=message_outcome,
        ),
    )
)
