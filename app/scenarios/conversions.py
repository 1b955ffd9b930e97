"""What every journey records when an order is attributed to one of its runs: the discount its
own codes took off the order, and the conversion (once per shop, order and scenario)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Order, OrderDiscountCode, ScenarioConversion, ScenarioRun


async def discount_cost(session: AsyncSession, run: ScenarioRun, order: Order) -> Decimal:
    """What the run's own codes took off the order."""
    if not run.issued_codes:
        return Decimal(0)
    cost = await session.scalar(
        select(func.coalesce(func.sum(OrderDiscountCode.amount), 0)).where(
            OrderDiscountCode.shop_id == run.shop_id,
            OrderDiscountCode.order_id == order.id,
            func.upper(OrderDiscountCode.code).in_([c.upper() for c in run.issued_codes]),
        )
    )
    return Decimal(cost or 0)


async def insert_conversion(
    session: AsyncSession, run: ScenarioRun, order: Order, via: str, cost: Decimal
) -> bool:
    """The order attributed to the run, once per (shop, order, scenario): True when this call
    recorded it."""
    inserted = await session.scalar(
        insert(ScenarioConversion)
        .values(
            shop_id=run.shop_id,
            scenario=run.scenario,
            run_id=run.id,
            order_id=order.id,
            attributed_via=via,
            revenue=order.total_price or Decimal(0),
            discount_cost=cost,
            currency=order.currency,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "order_id", "scenario"])
        .returning(ScenarioConversion.id)
    )
    return inserted is not None
