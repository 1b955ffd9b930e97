"""The customer's `$app:loyalty.status` metafield (json), written beside `points` and `tier`
by the batched customer sync, for the storefront widget's first paint with no request: the
points still pending, by the moment each lot becomes spendable (so the widget sees them
mature on its own), what the tiers measure (for the progress to the next tier), and the
customer's referral code and link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty import tiers
from app.loyalty.ledger import pending_at
from app.loyalty.settings import load_settings
from app.loyalty.status_document import status_document
from app.models import PointsLedgerEntry
from app.referrals.links import referral_for_customer


async def widget_status(
    session: AsyncSession, shop_id: int, customer_id: int, *, app_url: str, now: datetime
) -> dict[str, Any]:
    """The customer's status document as of `now`."""
    lots = (
        await session.execute(
            select(PointsLedgerEntry.available_at, func.sum(PointsLedgerEntry.delta))
            .where(
                PointsLedgerEntry.shop_id == shop_id,
                PointsLedgerEntry.customer_id == customer_id,
                pending_at(now),
            )
            .group_by(PointsLedgerEntry.available_at)
            .order_by(PointsLedgerEntry.available_at)
        )
    ).all()
    settings = await load_settings(session, shop_id)
    measure = await tiers.measure_of(session, settings, shop_id, customer_id, now)
    referral = await referral_for_customer(
        session, shop_id=shop_id, customer_id=customer_id, app_url=app_url
    )
    return status_document(
        ((at, int(points)) for at, points in lots),
        measure,
        {"code": referral.code, "link": referral.link} if referral else None,
    )
