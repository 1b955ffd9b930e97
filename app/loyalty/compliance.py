"""What the loyalty program holds on a customer, for data requests and redactions: their
account, ledger and redemptions (exported; the points stay, as the shop's books, about a
customer row that redaction already empties) and guest points held by their email (exported,
and the email erased: points held for someone who asked to be forgotten can no longer be
claimed), and the birthday they gave (exported with the account, erased)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.commerce import customer_ids_of, row_as_dict
from app.compliance.registry import DataSubject, rows_changed
from app.models import LoyaltyAccount, LoyaltyGuestPoints, LoyaltyRedemption, PointsLedgerEntry


def _guest_points(subject: DataSubject) -> Any:
    match: list[ColumnElement[bool]] = [
        LoyaltyGuestPoints.claimed_customer_id.in_(customer_ids_of(subject))
    ]
    if subject.email:
        match.append(func.lower(LoyaltyGuestPoints.email) == subject.email.lower())
    return (LoyaltyGuestPoints.shop_id == subject.shop_id) & or_(*match)


async def export_loyalty(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    customers = customer_ids_of(subject)
    accounts = await session.scalars(
        select(LoyaltyAccount)
        .where(LoyaltyAccount.shop_id == subject.shop_id, LoyaltyAccount.customer_id.in_(customers))
        .order_by(LoyaltyAccount.id)
    )
    entries = await session.scalars(
        select(PointsLedgerEntry)
        .where(
            PointsLedgerEntry.shop_id == subject.shop_id,
            PointsLedgerEntry.customer_id.in_(customers),
        )
        .order_by(PointsLedgerEntry.id)
    )
    held = await session.scalars(
        select(LoyaltyGuestPoints).where(_guest_points(subject)).order_by(LoyaltyGuestPoints.id)
    )
    redeemed = await session.scalars(
        select(LoyaltyRedemption)
        .where(
            LoyaltyRedemption.shop_id == subject.shop_id,
            LoyaltyRedemption.customer_id.in_(customers),
        )
        .order_by(LoyaltyRedemption.id)
    )
    return [
        *({"account": row_as_dict(row)} for row in accounts),
        *({"redemption": row_as_dict(row)} for row in redeemed),
        *({"ledger_entry": row_as_dict(row)} for row in entries),
        *({"guest_points": row_as_dict(row)} for row in held),
    ]


async def erase_loyalty(session: AsyncSession, subject: DataSubject) -> int:
    # The birthday the customer gave is theirs, not the shop's books: erased.
    changed = await rows_changed(
        session,
        update(LoyaltyAccount)
        .where(
            LoyaltyAccount.shop_id == subject.shop_id,
            LoyaltyAccount.customer_id.in_(customer_ids_of(subject)),
            LoyaltyAccount.birth_date.is_not(None),
        )
        .values(birth_date=None),
    )
    if not subject.email:
        return changed
    return changed + await rows_changed(
        session,
        update(LoyaltyGuestPoints)
        .where(
            LoyaltyGuestPoints.shop_id == subject.shop_id,
            func.lower(LoyaltyGuestPoints.email) == subject.email.lower(),
        )
        .values(email=None),
    )
