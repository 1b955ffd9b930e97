"""The review request's SQL, shop id first: the order's snapshot for the rule in one query
(the order, its buyer, its refunds, whether the shop still has the app), the order's
products its buyer has not reviewed yet, and when its delivered status came."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import deliveries
from app.models import Customer, Order, Refund, Shop
from app.reviews.service import (
    ProductLine,
    fully_refunded,
    order_products,
    reviewed_product_ids,
)
from app.scenarios.review_request.rule import ReviewSnapshot


async def delivery_learnt_at(
    session: AsyncSession, shop_id: int, order_shopify_id: int
) -> datetime | None:
    """When we learnt of the order's first delivered status; None when none came yet (a
    delivery being stored meanwhile is waited for: app/deliveries.py)."""
    return await deliveries.learnt_at(session, shop_id, order_shopify_id)


async def unreviewed_products(
    session: AsyncSession, shop_id: int, order_id: int, customer_id: int | None
) -> list[ProductLine]:
    products = await order_products(session, shop_id, order_id)
    reviewed = await reviewed_product_ids(session, shop_id, customer_id, order_id)
    return [p for p in products if p.product_id not in reviewed]


async def load_snapshot(
    session: AsyncSession, shop_id: int, order_id: int
) -> ReviewSnapshot | None:
    """The rule's view of one order of one shop; None when the shop holds no such order."""
    refunded = (
        select(func.coalesce(func.sum(Refund.amount), 0))
        .where(Refund.shop_id == shop_id, Refund.order_shopify_id == Order.shopify_id)
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(
                Order.customer_id,
                Order.cancelled_at,
                Order.financial_status,
                Order.total_price,
                refunded.label("refunded"),
                Customer.email,
                Customer.email_marketing_state,
                Customer.redacted_at,
                Shop.uninstalled_at,
                Shop.redacted_at.label("shop_redacted_at"),
            )
            .join(Shop, Shop.id == Order.shop_id)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(Order.shop_id == shop_id, Order.id == order_id)
        )
    ).one_or_none()
    if row is None:
        return None
    total = row.total_price
    given_back = fully_refunded(row.financial_status, total, row.refunded)
    unreviewed = await unreviewed_products(session, shop_id, order_id, row.customer_id)
    return ReviewSnapshot(
        has_customer=row.customer_id is not None,
        email=row.email,
        email_marketing_state=row.email_marketing_state,
        redacted=row.redacted_at is not None,
        shop_uninstalled=row.uninstalled_at is not None or row.shop_redacted_at is not None,
        cancelled=row.cancelled_at is not None,
        fully_refunded=given_back,
        unreviewed=len(unreviewed),
    )
