"""An order's first delivered status (order_deliveries): stored once by the shipment topics'
handler, read by the review request when the order's fulfilment starts it. The two may run at
once, out of order, in separate transactions: both take the order's delivery lock first, so
one commits before the other looks (a delivery stored while the fulfilment's transaction
looked would otherwise be seen by neither: the run would wait for a delivery already told)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OrderDelivery


async def lock_order(session: AsyncSession, shop_id: int, order_shopify_id: int) -> None:
    """The transaction-scoped lock on one order's delivery, held until commit."""
    await session.execute(
        select(
            func.pg_advisory_xact_lock(
                func.hashtextextended(f"order-delivery:{shop_id}:{order_shopify_id}", 0)
            )
        )
    )


async def record_first(
    session: AsyncSession,
    *,
    shop_id: int,
    order_shopify_id: int,
    fulfillment_shopify_id: int,
    delivered_at: datetime | None,
    source: str,
    learnt_at: datetime,
) -> bool:
    """Store the order's delivered status unless one is stored; True when this one is the
    first. Takes the order's delivery lock."""
    await lock_order(session, shop_id, order_shopify_id)
    inserted = await session.scalar(
        insert(OrderDelivery)
        .values(
            shop_id=shop_id,
            order_shopify_id=order_shopify_id,
            fulfillment_shopify_id=fulfillment_shopify_id,
            delivered_at=delivered_at,
            source=source,
            learnt_at=learnt_at,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "order_shopify_id"])
        .returning(OrderDelivery.id)
    )
    return inserted is not None


async def learnt_at(session: AsyncSession, shop_id: int, order_shopify_id: int) -> datetime | None:
    """When we learnt of the order's first delivered status; None when none came yet. Takes
    the order's delivery lock, so a delivery being stored meanwhile is waited for."""
    await lock_order(session, shop_id, order_shopify_id)
    learnt: datetime | None = await session.scalar(
        select(OrderDelivery.learnt_at).where(
            OrderDelivery.shop_id == shop_id, OrderDelivery.order_shopify_id == order_shopify_id
        )
    )
    return learnt
