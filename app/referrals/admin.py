"""What the merchant reads and decides: the referrals with their status and evidence, the
decision on a flagged one, the top advocates and the program's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.errors import BoomerangError
from app.i18n import Text
from app.models import Customer, Order, Referral, ReferralCode, ReferralVisit
from app.referrals.content import APPROVED, REJECTED
from app.referrals.records import FLAGGED, PENDING, REWARDED, VOID
from app.referrals.records import REJECTED as REJECTED_STATUS


class ReferralNotFound(BoomerangError):
    status_code = 404


class ReferralNotFlagged(BoomerangError):
    status_code = 409


@dataclass(frozen=True)
class ReferralRow:
    id: int
    status: str
    reason: str | None
    code: str
    referrer_id: int
    referrer_email: str | None
    friend_id: int | None
    friend_email: str | None
    order_id: int
    order_name: str | None
    order_total: Decimal | None
    currency: str | None
    evidence: list[dict[str, Any]]
    created_at: datetime
    due_at: datetime
    rewarded_at: datetime | None
    reward_kind: str | None
    reward_points: int | None
    reward_code: str | None
    decided_by: str | None


async def list_referrals(
    session: AsyncSession,
    shop_id: int,
    *,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[ReferralRow]:
    referrer = aliased(Customer)
    friend = aliased(Customer)
    statement = (
        select(Referral, referrer.email, friend.email, Order.name, Order.email)
        .join(referrer, referrer.id == Referral.referrer_id)
        .outerjoin(friend, friend.id == Referral.friend_id)
        .outerjoin(Order, Order.id == Referral.order_id)
        .where(Referral.shop_id == shop_id)
        .order_by(Referral.id.desc())
        .limit(limit)
    )
    if status:
        statement = statement.where(Referral.status == status)
    if before_id:
        statement = statement.where(Referral.id < before_id)
    rows = (await session.execute(statement)).all()
    return [
        ReferralRow(
            id=r.id,
            status=r.status,
            reason=r.reason,
            code=r.code,
            referrer_id=r.referrer_id,
            referrer_email=referrer_email,
            friend_id=r.friend_id,
            friend_email=friend_email or order_email,
            order_id=r.order_id,
            order_name=order_name,
            order_total=r.order_total,
            currency=r.currency,
            evidence=list(r.evidence),
            created_at=r.created_at,
            due_at=r.due_at,
            rewarded_at=r.rewarded_at,
            reward_kind=r.reward_kind,
            reward_points=r.reward_points,
            reward_code=r.reward_code,
            decided_by=r.decided_by,
        )
        for r, referrer_email, friend_email, order_name, order_email in rows
    ]


async def _flagged(session: AsyncSession, shop_id: int, referral_id: int) -> Referral:
    referral = await session.scalar(
        select(Referral)
        .where(Referral.shop_id == shop_id, Referral.id == referral_id)
        .with_for_update()
    )
    if referral is None:
        raise ReferralNotFound(
            Text(
                en=f"no referral {referral_id} in this shop",
                fr=f"aucun parrainage {referral_id} dans cette boutique",
            )
        )
    if referral.status != FLAGGED:
        raise ReferralNotFlagged(
            Text(
                en=f"referral {referral_id} is {referral.status}: only a flagged referral "
                "waits for your decision",
                fr=f"le parrainage {referral_id} est à l'état {referral.status} : seul un "
                "parrainage signalé attend votre décision",
            )
        )
    return referral


async def approve(
    session: AsyncSession, shop_id: int, referral_id: int, *, actor: str, now: datetime
) -> Referral:
    """The merchant vouches for a flagged referral: it goes on as pending (the hold period
    and the order's state still decide), its evidence kept."""
    referral = await _flagged(session, shop_id, referral_id)
    referral.status, referral.reason = PENDING, APPROVED
    referral.decided_by, referral.decided_at = actor, now
    return referral


async def reject(
    session: AsyncSession, shop_id: int, referral_id: int, *, actor: str, now: datetime
) -> Referral:
    referral = await _flagged(session, shop_id, referral_id)
    referral.status, referral.reason = REJECTED_STATUS, REJECTED
    referral.decided_by, referral.decided_at = actor, now
    return referral


@dataclass(frozen=True)
class Advocate:
    customer_id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    code: str | None
    visits: int
    referrals: int
    rewarded: int
    revenue: Decimal


async def top_advocates(session: AsyncSession, shop_id: int, *, limit: int = 10) -> list[Advocate]:
    counted = Referral.status.not_in((VOID, REJECTED_STATUS))
    statement = (
        select(
            Referral.referrer_id,
            Customer.email,
            Customer.first_name,
            Customer.last_name,
            ReferralCode.code,
            ReferralCode.visits,
            func.count(Referral.id).filter(counted).label("referrals"),
            func.count(Referral.id).filter(Referral.status == REWARDED).label("rewarded"),
            func.coalesce(func.sum(Referral.order_total).filter(counted), 0).label("revenue"),
        )
        .join(Customer, Customer.id == Referral.referrer_id)
        .join(ReferralCode, ReferralCode.id == Referral.referral_code_id)
        .where(Referral.shop_id == shop_id)
        .group_by(
            Referral.referrer_id,
            Customer.email,
            Customer.first_name,
            Customer.last_name,
            ReferralCode.code,
            ReferralCode.visits,
        )
        .order_by(
            func.count(Referral.id).filter(Referral.status == REWARDED).desc(),
            func.count(Referral.id).filter(counted).desc(),
            Referral.referrer_id,
        )
        .limit(limit)
    )
    return [
        Advocate(
            customer_id=row.referrer_id,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            code=row.code,
            visits=row.visits,
            referrals=row.referrals,
            rewarded=row.rewarded,
            revenue=Decimal(row.revenue),
        )
        for row in (await session.execute(statement)).all()
    ]


@dataclass(frozen=True)
class Figures:
    codes_issued: int
    link_visits: int
    codes_used: int
    pending: int
    flagged: int
    qualified: int
    rewarded: int
    rejected: int
    void: int
    referred_revenue: Decimal


async def figures(session: AsyncSession, shop_id: int) -> Figures:
    """The program's KPIs: every referral counts once under its current status; the referred
    revenue counts orders neither voided nor rejected."""
    codes = await session.scalar(
        select(func.count())
        .select_from(ReferralCode)
        .where(ReferralCode.shop_id == shop_id, ReferralCode.code.is_not(None))
    )
    visits = await session.scalar(
        select(func.count()).select_from(ReferralVisit).where(ReferralVisit.shop_id == shop_id)
    )
    by_status = dict(
        (
            await session.execute(
                select(Referral.status, func.count())
                .where(Referral.shop_id == shop_id)
                .group_by(Referral.status)
            )
        ).all()
    )
    revenue = await session.scalar(
        select(
            func.coalesce(
                func.sum(
                    case(
                        (Referral.status.in_((VOID, REJECTED_STATUS)), 0),
                        else_=Referral.order_total,
                    )
                ),
                0,
            )
        ).where(Referral.shop_id == shop_id)
    )
    return Figures(
        codes_issued=int(codes or 0),
        link_visits=int(visits or 0),
        codes_used=sum(int(v) for v in by_status.values()),
        pending=int(by_status.get(PENDING, 0)),
        flagged=int(by_status.get(FLAGGED, 0)),
        qualified=int(by_status.get("qualified", 0)),
        rewarded=int(by_status.get(REWARDED, 0)),
        rejected=int(by_status.get(REJECTED_STATUS, 0)),
        void=int(by_status.get(VOID, 0)),
        referred_revenue=Decimal(revenue or 0),
    )
