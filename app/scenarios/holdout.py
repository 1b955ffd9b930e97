"""Holdout groups: a share of a scenario's subjects, chosen by a hash of (shop, scenario,
subject key), is never messaged, so the dashboard can compare what the treated subjects did
with what the held-out ones did (the incremental lift, app/kpis/lift.py). Off by default;
the merchant turns it on per scenario (10 % unless they say otherwise). The same subject is
in or out whenever it is asked about: the hash, not a random draw, decides."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AnalyticsSettings

# The run's stop reason and the timeline's reason for a held-out subject.
HOLDOUT = "holdout"
DEFAULT_PERCENT = Decimal(10)
MAX_PERCENT = Decimal(50)
# Buckets of the hash: 0.01 % resolution.
_BUCKETS = 10_000


def bucket(shop_id: int, scenario: str, subject_key: str) -> int:
    """Where the subject falls in 0 … 9999, the same every time."""
    digest = hashlib.sha256(f"{shop_id}\x1f{scenario}\x1f{subject_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % _BUCKETS


def held_out(shop_id: int, scenario: str, subject_key: str, percent: Decimal) -> bool:
    """Whether the subject is in the scenario's holdout group at `percent` (0: nobody)."""
    if percent <= 0:
        return False
    return bucket(shop_id, scenario, subject_key) < percent * _BUCKETS / 100


async def holdout_percent(session: AsyncSession, shop_id: int, scenario: str) -> Decimal:
    """The share of the scenario's subjects the shop holds out (0 when off)."""
    holdouts = await session.scalar(
        select(AnalyticsSettings.holdouts).where(AnalyticsSettings.shop_id == shop_id)
    )
    if not holdouts:
        return Decimal(0)
    value = holdouts.get(scenario)
    return Decimal(str(value)) if value else Decimal(0)
