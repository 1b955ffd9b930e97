"""The review request declared to the engine: an order fulfilled (OrderFulfilled, said once per
new fulfilment) starts one run keyed by the order; the request goes N days later (after the
fulfilment, or after its delivered status with the after-delivery timing: OrderDelivered
re-times a run still waiting for it) and a reminder M days after it, each listing the
order's products the buyer has not reviewed; an order cancelled or fully refunded meanwhile
stops it (at once, and again at the last check before an email leaves), and so does every
product being reviewed. The rule (rule.why_not) decides at
the start, before each step and at the outbox's last check."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import OrderCancelled, OrderDelivered, OrderFulfilled, RefundCreated
from app.models import Customer, Order, ScenarioRun, Shop
from app.reviews.service import ProductLine
from app.scenarios import engine, runs, step_email, timeline
from app.scenarios.engine import RunView, StepContext
from app.scenarios.review_request import queries, rule
from app.scenarios.review_request.content import CONTENT, KEY, ORDER_MISSING, STEP_DUE
from app.scenarios.review_request.rule import (
    STARTED_ON_FULFILMENT,
    TIMED_FROM_DELIVERY,
    StopReason,
)
from app.scenarios.review_request.settings import AFTER_DELIVERY, ReviewRequestSettings
from app.scenarios.runs import stop_run

# Not worth a line on the timeline: nothing a merchant would look for.
_SILENT = frozenset({StopReason.SHOP_UNINSTALLED, StopReason.SCENARIO_PAUSED})


@dataclass(frozen=True)
class Buyer:
    """What a step (and the outbox's last check) reads about the run's order and buyer."""

    snapshot: rule.ReviewSnapshot | None
    customer: Customer | None
    order: Order | None
    products: tuple[ProductLine, ...]


def subject_key(order_id: int) -> str:
    """One run per order, ever: the run's natural key."""
    return f"order:{order_id}"


def order_of(run: ScenarioRun) -> int:
    return int(run.subject_key.split(":", 1)[1])


def _decide(snapshot: rule.ReviewSnapshot, settings: ReviewRequestSettings) -> StopReason | None:
    return rule.why_not(
        replace(
            snapshot,
            scenario_paused=settings.mode == "paused",
            transactional=settings.transactional,
        )
    )


async def _load_settings(session: AsyncSession, shop_id: int) -> ReviewRequestSettings:
    settings: ReviewRequestSettings = await REVIEW_REQUEST.load_settings(session, shop_id)
    return settings


# -- facts ----------------------------------------------------------------------------------


async def order_fulfilled(
    session: AsyncSession, fact: OrderFulfilled, now: datetime
) -> list[runs.DueStep]:
    """The order's first fulfilment we hear of starts its request (a second fulfilment of a
    split order finds the run keyed by the order and changes nothing)."""
    shop = await session.get(Shop, fact.shop_id)
    snapshot = await queries.load_snapshot(session, fact.shop_id, fact.order_id)
    if shop is None or snapshot is None:
        return []
    settings = await _load_settings(session, fact.shop_id)
    key = subject_key(fact.order_id)
    reason = _decide(snapshot, settings)
    if reason is not None:
        if reason not in _SILENT and fact.customer_id is not None:
            existing = await runs.lock_by_subject(
                session, shop_id=fact.shop_id, scenario=KEY, subject_key=key
            )
            if existing is None:
                await timeline.record(
                    session,
                    shop_id=fact.shop_id,
                    customer_id=fact.customer_id,
                    scenario=KEY,
                    kind="not_started",
                    reason=reason,
                    at=now,
                )
        return []
    plan = rule.steps(settings)
    # With the after-delivery timing, a delivered status may have come before the
    # fulfilment was processed.
    delivered = (
        await queries.delivery_learnt_at(session, fact.shop_id, fact.shopify_order_id)
        if settings.timing == AFTER_DELIVERY
        else None
    )
    anchor = rule.anchor(settings, fulfilled=now, delivered=delivered)
    run, created = await runs.start_or_get(
        session,
        shop_id=fact.shop_id,
        scenario=KEY,
        subject_key=key,
        customer_id=fact.customer_id,
        email=snapshot.email,
        anchor_at=anchor.at,
        first_step_at=max(engine.due_at(anchor.at, plan, 0), now),
    )
    if not created or run.next_step_at is None:
        return []
    timed_from_delivery = settings.timing == AFTER_DELIVERY and not anchor.awaiting_delivery
    detail: dict[str, Any] = {"timing": settings.timing}
    if anchor.awaiting_delivery:
        # No delivered status yet: unless one comes, the request counts from the
        # fulfilment plus the wait, which ends then.
        detail["awaiting_delivery_until"] = anchor.at.isoformat()
    await timeline.record(
        session,
        shop_id=fact.shop_id,
        customer_id=fact.customer_id,
        run_id=run.id,
        scenario=KEY,
        kind="started",
        reason=TIMED_FROM_DELIVERY if timed_from_delivery else STARTED_ON_FULFILMENT,
        at=now,
        first_step_at=run.next_step_at.isoformat(),
        **detail,
    )
    return [runs.DueStep(run.id, 0, run.next_step_at)]


async def order_delivered(
    session: AsyncSession, fact: OrderDelivered, now: datetime
) -> list[runs.DueStep]:
    """The order's first delivered status: with the after-delivery timing, a run whose
    request has not gone yet is re-timed from now (it waited on the fallback until now). A
    run not started yet finds the delivery when its fulfilment is processed."""
    if fact.order_id is None:
        return []
    run = await runs.lock_by_subject(
        session, shop_id=fact.shop_id, scenario=KEY, subject_key=subject_key(fact.order_id)
    )
    if run is None or run.status != runs.ACTIVE:
        return []
    settings = await _load_settings(session, fact.shop_id)
    if not rule.retime_on_delivery(settings, request_sent=run.step_index > 0):
        return []
    plan = rule.steps(settings)
    run.anchor_at = fact.learnt_at
    run.next_step_at = max(engine.due_at(run.anchor_at, plan, 0), now)
    await timeline.record(
        session,
        shop_id=fact.shop_id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=KEY,
        kind="retimed",
        step=1,
        reason=TIMED_FROM_DELIVERY,
        at=now,
        first_step_at=run.next_step_at.isoformat(),
    )
    return [runs.DueStep(run.id, 0, run.next_step_at)]


async def _stop_order_run(
    session: AsyncSession, shop_id: int, order_id: int, reason: StopReason, now: datetime
) -> None:
    run = await runs.lock_by_subject(
        session, shop_id=shop_id, scenario=KEY, subject_key=subject_key(order_id)
    )
    if run is not None and run.status == runs.ACTIVE:
        await stop_run(session, run, reason, now)


async def order_cancelled(
    session: AsyncSession, fact: OrderCancelled, now: datetime
) -> list[runs.DueStep]:
    await _stop_order_run(session, fact.shop_id, fact.order_id, StopReason.ORDER_CANCELLED, now)
    return []


async def refund_created(
    session: AsyncSession, fact: RefundCreated, now: datetime
) -> list[runs.DueStep]:
    """A refund that makes the order fully refunded stops its request (a partial one does
    not: the products kept are still worth a review)."""
    if fact.order_id is None:
        return []
    snapshot = await queries.load_snapshot(session, fact.shop_id, fact.order_id)
    if snapshot is not None and snapshot.fully_refunded:
        await _stop_order_run(session, fact.shop_id, fact.order_id, StopReason.ORDER_REFUNDED, now)
    return []


async def review_submitted(
    session: AsyncSession, shop_id: int, order_id: int, now: datetime
) -> None:
    """A review came in through the order's link: the request stops at once when nothing of
    the order is left to review (before its next email would find it so)."""
    run = await runs.lock_by_subject(
        session, shop_id=shop_id, scenario=KEY, subject_key=subject_key(order_id)
    )
    if run is None or run.status != runs.ACTIVE:
        return
    order = await session.get(Order, order_id)
    customer_id = order.customer_id if order else None
    if not await queries.unreviewed_products(session, shop_id, order_id, customer_id):
        await stop_run(session, run, StopReason.NOTHING_TO_REVIEW, now)


# -- steps ----------------------------------------------------------------------------------


async def load_buyer(session: AsyncSession, run: ScenarioRun, shop: Shop) -> Buyer:
    order_id = order_of(run)
    order = await session.get(Order, order_id)
    if order is None:
        return Buyer(None, None, None, ())
    customer = await session.get(Customer, order.customer_id) if order.customer_id else None
    products = await queries.unreviewed_products(session, shop.id, order_id, order.customer_id)
    return Buyer(
        await queries.load_snapshot(session, shop.id, order_id), customer, order, tuple(products)
    )


async def condition(view: RunView[ReviewRequestSettings, Buyer]) -> str | None:
    snapshot = view.subject.snapshot
    if snapshot is None:
        return ORDER_MISSING
    return _decide(snapshot, view.settings)


async def send_request(
    context: StepContext[ReviewRequestSettings, Buyer],
) -> list[runs.DueStep] | None:
    """The step's action: the email listing the products still to review, each with its
    one-click stars, into the outbox."""
    run, shop, settings, now = context.run, context.shop, context.settings, context.now
    step = settings.steps[context.step_index]
    if context.actions is None:  # pragma: no cover - the job always gives its actions
        return []
    buyer = context.subject
    order_id = order_of(run)
    links = context.actions.review_tokens()
    token = links.token(shop.id, order_id, now)
    message_context: dict[str, Any] = {
        "review_step": step.key,
        "review_url": links.form_url(token),
        "products": [
            {"title": p.title, "url": links.form_url(token, product_id=p.product_id)}
            for p in buyer.products
        ],
        "order_name": buyer.order.name if buyer.order else None,
    }
    customer = buyer.customer
    order_locale = buyer.order.locale if buyer.order else None
    await step_email.queue_step_email(
        context,
        scenario=KEY,
        content=CONTENT,
        locale=order_locale or (customer.locale if customer else None) or shop.locale or "en",
        message_context=message_context,
        transactional=settings.transactional,
        reason=STEP_DUE,
        products=len(buyer.products),
    )
    return None


REVIEW_REQUEST: engine.Scenario[ReviewRequestSettings, Buyer] = engine.Scenario(
    key=KEY,
    settings_model=ReviewRequestSettings,
    content=CONTENT,
    starts_on={OrderFulfilled: order_fulfilled, OrderDelivered: order_delivered},
    stops_on={OrderCancelled: order_cancelled, RefundCreated: refund_created},
    steps=rule.steps,
    load_subject=load_buyer,
    condition=condition,
    action=send_request,
)
