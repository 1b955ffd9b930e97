"""What the loyalty program owes and has done, for the merchant: a customer's ledger as the
admin shows it, the value of a point, the program's liability, and its figures.

The value of a point comes from the rewards catalogue: the most a point can buy in money,
among the rewards worth a fixed amount (an amount off, store credit): value ÷ cost. A
percentage or free-shipping reward is worth what the order makes it, so it sets no value.
Taking the best rate values the liability at the most the shop could have to give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Numeric, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty.ledger import pending_at
from app.loyalty.settings import LoyaltySettings
from app.models import LoyaltyAccount, LoyaltyRedemption, PointsLedgerEntry

FIXED_VALUE_KINDS = ("fixed_amount", "store_credit")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PointValue:
    """What one point is worth in the shop's currency, and the reward that sets it (None:
    no reward of the catalogue is worth a fixed amount)."""

    per_point: Decimal | None
    reward_key: str | None


def point_value(settings: LoyaltySettings) -> PointValue:
    best: tuple[Decimal, str] | None = None
    for reward in settings.rewards:
        if reward.kind not in FIXED_VALUE_KINDS or reward.value <= 0:
            continue
        if reward.kind == "store_credit" and not settings.store_credit_enabled:
            continue
        rate = reward.value / Decimal(reward.cost)
        if best is None or rate > best[0]:
            best = (rate, reward.key)
    if best is None:
        return PointValue(None, None)
    return PointValue(best[0], best[1])


@dataclass(frozen=True)
class ProgramFigures:
    members: int
    # Points given: earned on orders (edits included) and bonuses (sign-up, reviews…).
    issued: int
    # Points spent on rewards, less those given back (a refused code, a refunded order).
    redeemed: int
    taken_back: int
    expired: int
    # Manual adjustments, net.
    adjusted: int
    # The sum of the positive balances: points the shop owes (pending ones included).
    outstanding: int
    pending: int
    # The sum of the negative balances (clawbacks after a redemption), shown apart.
    negative: int
    value: PointValue
    # outstanding × the value of a point, in the shop's currency (None: no value).
    liability: Decimal | None
    tiers: dict[str, int]
    rewards_redeemed: int
    # Redemptions paid as Shopify store credit, and their total in the shop's currency.
    store_credits: int = 0
    store_credit_total: Decimal = Decimal(0)


async def program_figures(
    session: AsyncSession, shop_id: int, settings: LoyaltySettings, now: datetime
) -> ProgramFigures:
    ledger = PointsLedgerEntry
    sums = (
        await session.execute(
            select(
                func.coalesce(func.sum(ledger.delta).filter(ledger.kind.in_(("earn", "bonus"))), 0),
                func.coalesce(func.sum(ledger.delta).filter(ledger.kind == "redeem"), 0),
                func.coalesce(
                    func.sum(ledger.delta).filter(ledger.source_type == "redemption_return"), 0
                ),
                func.coalesce(func.sum(ledger.delta).filter(ledger.kind == "clawback"), 0),
                func.coalesce(func.sum(ledger.delta).filter(ledger.kind == "expire"), 0),
                func.coalesce(
                    func.sum(ledger.delta).filter(
                        ledger.kind == "adjust", ledger.source_type != "redemption_return"
                    ),
                    0,
                ),
                func.coalesce(func.sum(ledger.delta).filter(pending_at(now)), 0),
            ).where(ledger.shop_id == shop_id)
        )
    ).one()
    issued, redeem, returned, clawed, expired, adjusted, pending = (int(v) for v in sums)
    account = LoyaltyAccount
    balances = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((account.balance > 0, account.balance), else_=0)), 0),
                func.coalesce(func.sum(case((account.balance < 0, account.balance), else_=0)), 0),
            ).where(account.shop_id == shop_id)
        )
    ).one()
    members, outstanding, negative = (int(v) for v in balances)
    tiers = {
        str(tier): int(count)
        for tier, count in await session.execute(
            select(account.tier, func.count())
            .where(account.shop_id == shop_id, account.tier.is_not(None))
            .group_by(account.tier)
            .order_by(account.tier)
        )
    }
    rewards_redeemed = int(
        await session.scalar(
            select(func.count()).where(
                LoyaltyRedemption.shop_id == shop_id, LoyaltyRedemption.status != "returned"
            )
        )
        or 0
    )
    credit_count, credit_total = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(
                    func.sum(LoyaltyRedemption.reward["value"].astext.cast(Numeric(18, 4))), 0
                ),
            ).where(
                LoyaltyRedemption.shop_id == shop_id,
                LoyaltyRedemption.status == "issued",
                LoyaltyRedemption.store_credit_transaction_id.is_not(None),
            )
        )
    ).one()
    value = point_value(settings)
    liability = (
        (Decimal(outstanding) * value.per_point).quantize(CENT, rounding=ROUND_HALF_UP)
        if value.per_point is not None
        else None
    )
    return ProgramFigures(
        members=members,
        issued=issued,
        redeemed=-(redeem + returned),
        taken_back=-clawed,
        expired=-expired,
        adjusted=adjusted,
        outstanding=outstanding,
        pending=pending,
        negative=negative,
        value=value,
        liability=liability,
        tiers=tiers,
        rewards_redeemed=rewards_redeemed,
        store_credits=int(credit_count),
        store_credit_total=Decimal(credit_total).quantize(CENT),
    )


@dataclass(frozen=True)
class LedgerLine:
    id: int
    at: datetime
    kind: str
    delta: int
    source_type: str
    source_id: str
    reason: str | None
    actor: str
    order_id: int | None
    # When the points become spendable (later than `at` while pending).
    available_at: datetime


async def customer_ledger(
    session: AsyncSession, shop_id: int, customer_id: int, *, limit: int = 200
) -> list[LedgerLine]:
    """The customer's ledger, newest first."""
    ledger = PointsLedgerEntry
    rows = await session.execute(
        select(ledger)
        .where(ledger.shop_id == shop_id, ledger.customer_id == customer_id)
        .order_by(ledger.id.desc())
        .limit(limit)
    )
    return [
        LedgerLine(
            id=e.id,
            at=e.created_at,
            kind=e.kind,
            delta=e.delta,
            source_type=e.source_type,
            source_id=e.source_id,
            reason=e.reason,
            actor=e.actor,
            order_id=e.order_id,
            available_at=e.available_at,
        )
        for e in rows.scalars()
    ]
