"""The loyalty program's wiring: one function per commerce fact, each calling the service in
the fact's transaction (so points commit, or roll back, with the webhook that caused them),
and its sections of customer data requests and redactions. `wire` is the one place that
registers them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.registry import erases, exports
from app.facts import CustomerChanged, OrderCancelled, OrderPaid, RefundCreated, subscribe
from app.loyalty import compliance, service


async def on_order_paid(session: AsyncSession, fact: OrderPaid) -> None:
    await service.record_paid_order(
        session,
        shop_id=fact.shop_id,
        order_id=fact.order_id,
        customer_id=fact.customer_id,
        email=fact.email,
        eligible_subtotal=fact.eligible_subtotal,
        now=datetime.now(UTC),
    )


async def on_refund_created(session: AsyncSession, fact: RefundCreated) -> None:
    await service.record_refund(
        session,
        shop_id=fact.shop_id,
        shopify_order_id=fact.shopify_order_id,
        order_id=fact.order_id,
        now=datetime.now(UTC),
    )


async def on_order_cancelled(session: AsyncSession, fact: OrderCancelled) -> None:
    await service.record_cancellation(
        session, shop_id=fact.shop_id, order_id=fact.order_id, now=datetime.now(UTC)
    )


async def on_customer_changed(session: AsyncSession, fact: CustomerChanged) -> None:
    if fact.email:
        await service.credit_guest_points(
            session,
            shop_id=fact.shop_id,
            customer_id=fact.customer_id,
            email=fact.email,
            now=datetime.now(UTC),
        )


def wire() -> None:
    subscribe(OrderPaid)(on_order_paid)
    subscribe(RefundCreated)(on_refund_created)
    subscribe(OrderCancelled)(on_order_cancelled)
    subscribe(CustomerChanged)(on_customer_changed)
    exports("loyalty")(compliance.export_loyalty)
    erases("loyalty")(compliance.erase_loyalty)


wire()
