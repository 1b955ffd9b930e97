"""What the referral program holds on a customer, for data requests and redactions: their
personal code and its visits, and the referrals they made or were the friend of, or that
their orders made (exported).
Redaction empties the fraud evidence of those referrals (it holds emails, phones, addresses
and IP addresses) and the IP kept on them; the referrals stay as the shop's books."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.commerce import customer_ids_of, order_ids_of, row_as_dict
from app.compliance.registry import DataSubject, rows_changed
from app.models import Referral, ReferralCode


def _theirs(subject: DataSubject) -> Any:
    """Referrals they made or were the friend of, and those of their orders: a guest friend's
    order has no customer (friend_id NULL) but its evidence holds their email, phone, address
    and IP all the same."""
    customers = customer_ids_of(subject)
    return (Referral.shop_id == subject.shop_id) & or_(
        Referral.referrer_id.in_(customers),
        Referral.friend_id.in_(customers),
        Referral.order_id.in_(order_ids_of(subject)),
    )


async def export_referrals(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    codes = await session.scalars(
        select(ReferralCode)
        .where(
            ReferralCode.shop_id == subject.shop_id,
            ReferralCode.customer_id.in_(customer_ids_of(subject)),
        )
        .order_by(ReferralCode.id)
    )
    referrals = await session.scalars(
        select(Referral).where(_theirs(subject)).order_by(Referral.id)
    )
    return [
        *({"referral_code": row_as_dict(row)} for row in codes),
        *({"referral": row_as_dict(row)} for row in referrals),
    ]


async def erase_referrals(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(Referral).where(_theirs(subject)).values(evidence=[], browser_ip=None),
    )
