"""The welcome series' SQL, shop id first: the customer's snapshot for the rule, in one query
(the customer's row, whether they have ordered, whether the shop still has the app), and the
shop's best-selling products by units sold, which step 2 shows (the Admin API cannot sort
products by sales; app/shopify/admin/products.py fetches the cards of these ids), and the
first order's attribution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import desc, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Customer,
    Order,
    OrderLineItem,
    Shop,
)
from app.scenarios.welcome.rule import WelcomeSnapshot


async def has_ordered(session: AsyncSession, shop_id: int, customer_id: int) -> bool:
    """Whether the customer placed any order at this shop, cancelled or not: the series is
    for people who have not bought yet (served by ix_orders_shop_id_customer_id_placed)."""
    return bool(
        await session.scalar(
            select(exists().where(Order.shop_id == shop_id, Order.customer_id == customer_id))
        )
    )


async def load_snapshot(
    session: AsyncSession, shop_id: int, customer_id: int
) -> WelcomeSnapshot | None:
    """The rule's view of one customer of one shop; None when the shop holds no such customer."""
    ordered = exists().where(Order.shop_id == shop_id, Order.customer_id == customer_id)
    row = (
        await session.execute(
            select(
                Customer.email,
                Customer.email_marketing_state,
                Customer.redacted_at,
                Customer.signed_up_at,
                ordered.label("has_ordered"),
                Shop.uninstalled_at,
                Shop.redacted_at.label("shop_redacted_at"),
            )
            .join(Shop, Shop.id == Customer.shop_id)
            .where(Customer.shop_id == shop_id, Customer.id == customer_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return WelcomeSnapshot(
        email=row.email,
        email_marketing_state=row.email_marketing_state,
        redacted=row.redacted_at is not None,
        has_ordered=bool(row.has_ordered),
        shop_uninstalled=row.uninstalled_at is not None or row.shop_redacted_at is not None,
        signed_up=row.signed_up_at is not None,
    )


async def best_selling_product_ids(
    session: AsyncSession, shop_id: int, *, since: datetime, limit: int
) -> list[int]:
    """The shop's products ranked by units sold in orders placed since `since` (cancelled
    orders left out), best first; ties by product id. One query per send is fine for a
    welcome step; a shop with very many orders would cache it per day."""
    units = func.sum(OrderLineItem.quantity)
    rows = await session.execute(
        select(OrderLineItem.product_id)
        .join(Order, Order.id == OrderLineItem.order_id)
        .where(
            OrderLineItem.shop_id == shop_id,
            Order.shop_id == shop_id,
            Order.cancelled_at.is_(None),
            Order.placed_at >= since,
            OrderLineItem.product_id.is_not(None),
        )
        .group_by(OrderLineItem.product_id)
        .order_by(desc(units), OrderLineItem.product_id)
        .limit(limit)
    )
    return [int(product_id) for product_id in rows.scalars() if product_id is not None]
