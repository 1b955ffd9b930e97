"""Abandoned cart: a checkout with a contact and items, not completed after the first delay,
gets up to three reminders (the later ones with a unique code) until it is bought, emptied,
superseded or the customer may no longer be written to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

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
from app.scenarios import runs, timeline
from app.scenarios.actions import CodeRequest, EmailRequest, IssuedCode, StepActions
from app.scenarios.config import AbandonedCartSettings
from app.scenarios.modes import Mode
from app.scenarios.settings_store import abandoned_cart_settings

SCENARIO = "abandoned_cart"

# Stop reasons, as they appear on the timeline.
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

MARKETING_OK = frozenset({"subscribed"})


def _step_due(settings: AbandonedCartSettings, anchor: datetime, index: int) -> datetime:
    return anchor + timedelta(seconds=settings.steps[index].delay_seconds)


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
    session: AsyncSession, run: ScenarioRun, since: datetime
) -> Order | None:
    """Any order of the run's customer (by id or email) placed after `since`."""
    who = _same_shopper(Order, run.customer_id, run.email)
    if who is None:
        return None
    result: Order | None = await session.scalar(
        select(Order)
        .where(Order.shop_id == run.shop_id, who, Order.placed_at >= since)
        .order_by(Order.placed_at)
        .limit(1)
    )
    return result


async def _stop(
    session: AsyncSession, run: ScenarioRun, reason: str, now: datetime, **detail: Any
) -> None:
    runs.stop(run, reason, now)
    await timeline.record(
        session,
        shop_id=run.shop_id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=SCENARIO,
        kind="stopped",
        step=run.step_index,
        reason=reason,
        at=now,
        **detail,
    )


async def _serialize_customer(session: AsyncSession, shop_id: int, email: str | None) -> None:
    """One decision at a time per customer: a checkout and an order (or two checkouts) of the
    same shopper processed at once would each miss the other's uncommitted row. Held until
    the transaction ends."""
    if email:
        key = f"{SCENARIO}:{shop_id}:{email.strip().lower()}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def checkout_changed(
    session: AsyncSession, *, shop: Shop, checkout: Checkout, now: datetime
) -> list[runs.DueStep]:
    """A checkout was created or updated (the stored row is already the newest version).
    Start, re-time or stop its run; returns the steps to schedule after commit."""
    await _serialize_customer(session, shop.id, checkout.email)
    settings = await abandoned_cart_settings(session, shop.id)
    existing = await runs.lock_by_subject(
        session, shop_id=shop.id, scenario=SCENARIO, subject_key=checkout.token
    )
    if existing is not None and existing.status != runs.ACTIVE:
        return []
    if existing is not None:
        return await _update_active_run(session, existing, checkout, settings, now)

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
    elif not checkout.email:
        reason = NO_CONTACT
    elif await _order_for_checkout(session, shop.id, checkout.token) is not None:
        # The order arrived before this checkout event: never remind.
        reason = ORDER_PLACED
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

    anchor = checkout.shopify_updated_at or now
    run, created = await runs.start_or_get(
        session,
        shop_id=shop.id,
        scenario=SCENARIO,
        subject_key=checkout.token,
        customer_id=checkout.customer_id,
        email=checkout.email,
        anchor_at=anchor,
        first_step_at=_step_due(settings, anchor, 0),
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
        reason="checkout has a contact and items and is not completed",
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
    settings: AbandonedCartSettings,
    now: datetime,
) -> list[runs.DueStep]:
    if checkout.completed_at is not None:
        await _stop(session, run, CHECKOUT_COMPLETED, now, checkout=checkout.token)
        return []
    if not checkout.line_items:
        await _stop(session, run, CHECKOUT_EMPTIED, now, checkout=checkout.token)
        return []
    run.customer_id = run.customer_id or checkout.customer_id
    run.email = checkout.email or run.email
    # Before the first reminder, a change to the checkout restarts the abandonment clock.
    anchor = checkout.shopify_updated_at
    if run.step_index == 0 and anchor is not None and anchor > run.anchor_at:
        run.anchor_at = anchor
        run.next_step_at = _step_due(settings, anchor, 0)
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
            .with_for_update()
        )
    )
    newest = max([run, *others], key=lambda r: (r.anchor_at, r.id))
    for other in [run, *others]:
        if other is not newest:
            await _stop(session, other, SUPERSEDED, now, by_checkout=newest.subject_key)


async def order_placed(session: AsyncSession, *, shop: Shop, order: Order, now: datetime) -> None:
    """An order stops its checkout's run and the customer's other runs, and is attributed to
    the scenario when a reminder brought it back."""
    await _serialize_customer(session, shop.id, order.email)
    settings = await abandoned_cart_settings(session, shop.id)
    placed = order.placed_at or now
    if order.checkout_token:
        run = await runs.lock_by_subject(
            session, shop_id=shop.id, scenario=SCENARIO, subject_key=order.checkout_token
        )
        if run is not None:
            if run.status == runs.ACTIVE:
                await _stop(session, run, ORDER_PLACED, now, order=order.name)
            if run.last_step_sent_at is not None:
                await _attribute(session, run, order, "checkout_token", now)
    who = _same_shopper(ScenarioRun, order.customer_id, order.email)
    if who is None:
        return
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
        .with_for_update()
    )
    for run in others:
        if run.status == runs.ACTIVE and run.started_at <= placed:
            await _stop(session, run, CUSTOMER_ORDERED, now, order=order.name)
        # Shopify's timestamps have whole seconds: an order in the second of the click counts.
        engaged = run.engaged_at.replace(microsecond=0) if run.engaged_at else None
        if engaged is not None and engaged <= placed <= engaged + window:
            await _attribute(session, run, order, "engaged_customer", now)


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
            reason=f"order {order.name} attributed via {via}",
            at=now,
            revenue=str(order.total_price),
            discount_cost=str(discount_cost),
            currency=order.currency,
        )


async def customer_unsubscribed(
    session: AsyncSession, *, shop_id: int, customer_id: int, now: datetime
) -> None:
    active = await session.scalars(
        select(ScenarioRun)
        .where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.scenario == SCENARIO,
            ScenarioRun.customer_id == customer_id,
            ScenarioRun.status == runs.ACTIVE,
        )
        .with_for_update()
    )
    for run in active:
        await _stop(session, run, UNSUBSCRIBED, now)


async def engaged(session: AsyncSession, *, shop_id: int, subject_key: str, at: datetime) -> None:
    """A reminder was opened or clicked by a person: the attribution window starts."""
    run = await runs.lock_by_subject(
        session, shop_id=shop_id, scenario=SCENARIO, subject_key=subject_key
    )
    if run is not None and (run.engaged_at is None or at > run.engaged_at):
        run.engaged_at = at


async def why_not_send(
    session: AsyncSession,
    *,
    shop: Shop,
    run: ScenarioRun,
    checkout: Checkout | None,
    customer: Customer | None,
    settings: AbandonedCartSettings,
) -> str | None:
    """The live re-check made immediately before a reminder is sent: a reason to stop, or None.
    Also called by the outbox inside the transaction that claims the message."""
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
    if await _customer_order_since(session, run, run.started_at) is not None:
        return CUSTOMER_ORDERED
    if customer is not None and customer.email_marketing_state == "unsubscribed":
        return UNSUBSCRIBED
    if not settings.transactional and (
        customer is None or customer.email_marketing_state not in MARKETING_OK
    ):
        return NO_CONSENT
    return None


def _cart_context(shop: Shop, checkout: Checkout, customer: Customer | None) -> dict[str, Any]:
    items = [
        {
            "title": item.get("presentment_title") or item.get("title"),
            "variant_title": item.get("presentment_variant_title") or item.get("variant_title"),
            "quantity": item.get("quantity"),
            "price": item.get("price"),
            "image_url": item.get("image_url"),
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


async def code_request(
    session: AsyncSession, *, run_id: int, step_index: int
) -> CodeRequest | None:
    """What code the step will hand out, if any, read without locks. The step's code is
    issued between two transactions, never while a lock is held: creating it calls Shopify
    (and other connections), and a job waiting on those with a run locked can stall workers
    whose webhook transactions wait on that run."""
    run = await session.get(ScenarioRun, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return None
    settings = await abandoned_cart_settings(session, run.shop_id)
    step = settings.steps[step_index] if step_index < len(settings.steps) else None
    if step is None or not step.enabled or step.discount is None:
        return None
    if settings.mode in (Mode.DRY_RUN, Mode.PAUSED):
        return None
    shop = await session.get(Shop, run.shop_id)
    if shop is None or shop.uninstalled_at is not None:
        return None
    return CodeRequest(
        shop_id=run.shop_id,
        shop_domain=shop.domain,
        scenario=SCENARIO,
        idempotency_key=f"{SCENARIO}:{run.subject_key}:{step_index}",
        customer_id=run.customer_id,
        discount=step.discount,
        prefix=settings.code_prefix,
    )


async def run_step(
    session: AsyncSession,
    *,
    run_id: int,
    step_index: int,
    now: datetime,
    actions: StepActions,
    code: IssuedCode | None = None,
) -> list[runs.DueStep]:
    """Run one due step, exactly once: the run row is locked, the live state re-checked, the
    message queued with the code issued beforehand (see code_request) and the run advanced,
    all in the caller's transaction."""
    run = await runs.lock_by_id(session, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return []  # already run, stopped, or a stale job
    if run.next_step_at is not None and run.next_step_at > now:
        return [runs.DueStep(run.id, run.step_index, run.next_step_at)]  # re-timed since
    shop = await session.get(Shop, run.shop_id)
    if shop is None:
        return []
    settings = await abandoned_cart_settings(session, shop.id)
    checkout = await session.scalar(
        select(Checkout).where(Checkout.shop_id == shop.id, Checkout.token == run.subject_key)
    )
    customer = await session.get(Customer, run.customer_id) if run.customer_id else None
    if customer is None and run.email:
        customer = await session.scalar(
            select(Customer)
            .where(Customer.shop_id == shop.id, func.lower(Customer.email) == run.email.lower())
            .limit(1)
        )
        if customer is not None:
            run.customer_id = customer.id
    reason = await why_not_send(
        session, shop=shop, run=run, checkout=checkout, customer=customer, settings=settings
    )
    if reason is not None or checkout is None:  # no checkout: why_not_send gave a reason
        await _stop(session, run, reason or CHECKOUT_COMPLETED, now)
        return []

    step = settings.steps[step_index] if step_index < len(settings.steps) else None
    if step is not None and step.enabled:
        context = _cart_context(shop, checkout, customer)
        if step.discount is not None and settings.mode != Mode.DRY_RUN and code is None:
            # The settings changed since the code was asked for: ask again, shortly.
            return [runs.DueStep(run.id, step_index, now + timedelta(seconds=1))]
        if step.discount is None or settings.mode == Mode.DRY_RUN:
            code = None
        if code is not None:
            run.issued_codes = [*run.issued_codes, code.code]
            context["discount_code"] = code.code
            context["discount_expires_at"] = code.expires_at.isoformat()
        if step.discount is not None:
            context["discount_kind"] = step.discount.kind
            context["discount_value"] = str(step.discount.value)
        context["checkout_url"] = recovery_link(
            checkout.abandoned_checkout_url, code.code if code else None
        )
        status = await actions.queue_email(
            session,
            EmailRequest(
                shop=shop,
                scenario=SCENARIO,
                step=step_index + 1,
                subject_key=run.subject_key,
                customer_id=run.customer_id,
                locale=checkout.locale or (customer.locale if customer else None) or shop.locale,
                context=context,
                mode=settings.mode,
                transactional=settings.transactional,
                scheduled_at=now,
            ),
        )
        run.last_step_sent_at = now
        await timeline.record(
            session,
            shop_id=shop.id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=SCENARIO,
            kind={"draft": "step_drafted", "pending_approval": "step_awaiting_approval"}.get(
                status, "step_sent" if status in ("queued", "sent") else "step_suppressed"
            ),
            step=step_index + 1,
            reason=f"checkout not completed {step.delay_seconds}s after it was last changed",
            at=now,
            message_status=status,
            mode=str(settings.mode),
            code=code.code if code else None,
        )
    else:
        await timeline.record(
            session,
            shop_id=shop.id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=SCENARIO,
            kind="step_skipped",
            step=step_index + 1,
            reason="step turned off by the merchant",
            at=now,
        )
    return _advance(run, settings, now)


def _advance(
    run: ScenarioRun, settings: AbandonedCartSettings, now: datetime
) -> list[runs.DueStep]:
    nxt = run.step_index + 1
    if nxt >= len(settings.steps):
        run.step_index = nxt
        runs.complete(run, now)
        return []
    run.step_index = nxt
    run.next_step_at = max(_step_due(settings, run.anchor_at, nxt), now)
    return [runs.DueStep(run.id, nxt, run.next_step_at)]


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
    checkout = await session.scalar(
        select(Checkout).where(Checkout.shop_id == shop.id, Checkout.token == run.subject_key)
    )
    customer = await session.get(Customer, message.customer_id) if message.customer_id else None
    settings = await abandoned_cart_settings(session, shop.id)
    reason = await why_not_send(
        session, shop=shop, run=run, checkout=checkout, customer=customer, settings=settings
    )
    if reason is not None and run.status == runs.ACTIVE:
        await _stop(session, run, reason, datetime.now(UTC), at_send=True)
    return reason
