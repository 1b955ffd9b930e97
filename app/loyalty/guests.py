"""Points earned by guest checkouts (a paid order with no customer), held by the order's email
at the rate of the day it was paid, and credited as that order's earn when a customer with
that email appears (or when the order itself is later tied to a customer)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty.ledger import lock_account
from app.loyalty.orders import earned_points, lock_order_by_id, write_earn
from app.loyalty.settings import LoyaltySettings
from app.models import Customer, LoyaltyGuestPoints


async def hold(
    session: AsyncSession,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    order_id: int,
    email: str,
    eligible_subtotal: Decimal,
    now: datetime,
) -> None:
    """Hold the guest order's points (once per order)."""
    if not (settings.enabled and settings.per_currency.enabled):
        return
    rate = settings.per_currency.points
    await session.execute(
        insert(LoyaltyGuestPoints)
        .values(
            shop_id=shop_id,
            order_id=order_id,
            email=email,
            points=earned_points(eligible_subtotal, rate),
            amount=eligible_subtotal,
            rate=rate,
            available_at=now + timedelta(days=settings.pending_days),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "order_id"])
    )


async def customer_with_email(session: AsyncSession, shop_id: int, email: str) -> int | None:
    """The shop's customer with this email (Shopify keeps emails unique per shop), unless
    they asked to be forgotten."""
    found = await session.scalar(
        select(Customer.id)
        .where(
            Customer.shop_id == shop_id,
            func.lower(Customer.email) == email.lower(),
            Customer.redacted_at.is_(None),
        )
        .order_by(Customer.id)
        .limit(1)
    )
    return found


async def credit_by_email(
    session: AsyncSession, *, shop_id: int, customer_id: int, email: str, now: datetime
) -> list[int]:
    """Credit every unclaimed hold of this email to the customer; the orders credited."""
    held = (
        await session.execute(
            select(LoyaltyGuestPoints)
            .where(
                LoyaltyGuestPoints.shop_id == shop_id,
                func.lower(LoyaltyGuestPoints.email) == email.lower(),
                LoyaltyGuestPoints.claimed_customer_id.is_(None),
            )
            .order_by(LoyaltyGuestPoints.id)
            .with_for_update()
        )
    ).scalars()
    credited = []
    for row in list(held):
        await _credit(session, row, customer_id, now)
        credited.append(row.order_id)
    return credited


async def credit_order(
    session: AsyncSession, *, shop_id: int, order_id: int, customer_id: int, now: datetime
) -> bool:
    """Credit the order's hold, if it has an unclaimed one, to the customer it now names."""
    row = await session.scalar(
        select(LoyaltyGuestPoints)
        .where(
            LoyaltyGuestPoints.shop_id == shop_id,
            LoyaltyGuestPoints.order_id == order_id,
            LoyaltyGuestPoints.claimed_customer_id.is_(None),
        )
        .with_for_update()
    )
    if row is None:
        return False
    await _credit(session, row, customer_id, now)
    return True


async def _credit(
    session: AsyncSession, row: LoyaltyGuestPoints, customer_id: int, now: datetime
) -> None:
    await session.execute(
        update(LoyaltyGuestPoints)
        .where(LoyaltyGuestPoints.id == row.id)
        .values(claimed_customer_id=customer_id, claimed_at=now)
    )
    await lock_order_by_id(session, row.shop_id, row.order_id)
    account = await lock_account(session, row.shop_id, customer_id)
    await write_earn(
        session,
        account,
        order_id=row.order_id,
        points=row.points,
        amount=row.amount,
        rate=row.rate,
        available_at=row.available_at,
        now=now,
    )
