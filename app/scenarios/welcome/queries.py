"""The welcome series' SQL, shop id first: the customer's snapshot for the rule, in one query
(the customer's row, whether they have ordered, whether the shop still has the app)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Customer, Order, Shop
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
    )
