"""VIP tiers: ordered by threshold, reached on points earned or amount spent within a rolling
window (12 months by default), each with a points multiplier. Re-evaluated on every earning;
a customer may drop a tier when the window rolls, and a drop never takes points back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty import history, storefront
from app.loyalty.jobs import perk_job
from app.loyalty.ledger import Account
from app.loyalty.settings import LoyaltySettings, Tier
from app.loyalty.windows import months_before
from app.models import LoyaltyAccount, PointsLedgerEntry
from app.queue.deferred import defer


def multiplier_of(settings: LoyaltySettings, tier_key: str | None) -> Decimal:
    for tier in settings.tiers:
        if tier.key == tier_key:
            return tier.multiplier
    return Decimal(1)


def tier_for(settings: LoyaltySettings, measure: Decimal) -> Tier | None:
    """The highest tier whose threshold the measure reaches."""
    reached = [tier for tier in settings.tiers if measure >= tier.threshold]
    return reached[-1] if reached else None


async def window_measure(
    session: AsyncSession, settings: LoyaltySettings, account: Account, now: datetime
) -> Decimal:
    """Points earned (earns and bonuses, less their clawbacks) or amount spent (earned
    subtotals less refunded ones) within the window ending now."""
    return await measure_of(session, settings, account.shop_id, account.customer_id, now)


async def measure_of(
    session: AsyncSession,
    settings: LoyaltySettings,
    shop_id: int,
    customer_id: int,
    now: datetime,
) -> Decimal:
    """`window_measure` for a customer whose account is not locked (a read)."""
    since = months_before(now, settings.tier_window_months)
    ledger = PointsLedgerEntry
    if settings.tier_basis == "points_earned":
        measured = func.sum(
            case((ledger.kind.in_(("earn", "bonus", "clawback")), ledger.delta), else_=0)
        )
    else:
        measured = func.sum(
            case(
                (ledger.kind == "earn", ledger.amount),
                (ledger.kind == "clawback", -func.coalesce(ledger.amount, 0)),
                else_=0,
            )
        )
    found = await session.scalar(
        select(func.coalesce(measured, 0)).where(
            ledger.shop_id == shop_id,
            ledger.customer_id == customer_id,
            ledger.created_at >= since,
        )
    )
    return Decimal(found or 0)


async def reevaluate(
    session: AsyncSession, settings: LoyaltySettings, account: Account, now: datetime
) -> str | None:
    """Set the customer's tier from the window ending now; the tier's key (None: no tier).
    `account` is locked by the caller."""
    if not settings.tiers and account.tier is None:
        return None
    tier = tier_for(settings, await window_measure(session, settings, account, now))
    key = tier.key if tier else None
    if key != account.tier:
        await session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.id == account.id)
            .values(tier=key, tier_changed_at=now)
        )
        storefront.tier_changed(
            session, account.shop_id, account.customer_id, account.tier, key, now
        )
        keys = [t.key for t in settings.tiers]
        climbed = tier is not None and (
            account.tier not in keys or keys.index(tier.key) > keys.index(account.tier)
        )
        await history.tier_moved(
            session,
            shop_id=account.shop_id,
            customer_id=account.customer_id,
            before=account.tier,
            after=key,
            climbed=climbed,
            at=now,
        )
        if tier is not None and climbed and tier.entry_reward is not None:
            # The perk's code, created at Shopify after the commit (once per customer and tier).
            defer(session, perk_job(account.shop_id, account.customer_id, tier.key))
    return key
