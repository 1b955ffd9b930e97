"""VIP tiers: reached on what was earned within the rolling window, re-evaluated on each
earning; when the window rolls past the earnings the customer drops, and keeps their points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service
from app.loyalty.windows import months_before
from app.models import Customer
from app.platform.resources import build_resources
from app.settings import Settings
from jobs.loyalty import reevaluate_loyalty_tiers
from tests.app.loyalty.conftest import configure, position
from tests.support.worker import job_context

SHOPIFY_CUSTOMER = 7_500_001
TIERS = [
    {"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "100"},
    {"key": "gold", "name_en": "Gold", "name_fr": "Or", "threshold": "500", "multiplier": "2"},
]


async def award(
    sessions: async_sessionmaker[AsyncSession],
    shop_id: int,
    customer: int,
    points: int,
    source: str,
    now: datetime,
) -> str | None:
    async with sessions.begin() as session:
        await service.award_bonus(
            session,
            shop_id=shop_id,
            customer_id=customer,
            points=points,
            source_type="review",
            source_id=source,
            note="review",
            now=now,
        )
        return (
            await service.balance_of(session, shop_id=shop_id, customer_id=customer, now=now)
        ).tier


async def test_a_customer_drops_a_tier_when_the_window_rolls_and_keeps_the_points(
    sessions: async_sessionmaker[AsyncSession], program: int
) -> None:
    await configure(sessions, program, tiers=TIERS, tier_window_months=12)
    async with sessions.begin() as session:
        row = Customer(shop_id=program, shopify_id=SHOPIFY_CUSTOMER, email="t@example.com")
        session.add(row)
        await session.flush()
        customer = row.id
    start = datetime(2026, 1, 15, 12, tzinfo=UTC)

    assert await award(sessions, program, customer, 60, "r1", start) is None
    assert await award(sessions, program, customer, 60, "r2", start) == "silver"
    assert await award(sessions, program, customer, 400, "r3", start) == "gold"
    # Thirteen months on, only the newest earning is in the window.
    assert await award(
        sessions, program, customer, 150, "r4", datetime(2027, 2, 16, tzinfo=UTC)
    ) == ("silver")

    found = await position(sessions, program, SHOPIFY_CUSTOMER)
    assert found.cached_balance == found.ledger_sum == 670
    assert [kind for kind, _, _ in found.entries] == ["bonus"] * 4


def test_the_window_counts_calendar_months() -> None:
    assert months_before(datetime(2027, 3, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2027, 1, 10, tzinfo=UTC), 12) == datetime(2026, 1, 10, tzinfo=UTC)


async def test_the_periodic_pass_drops_a_tier_the_window_rolled_past(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, program: int
) -> None:
    await configure(sessions, program, tiers=TIERS)
    async with sessions.begin() as session:
        row = Customer(shop_id=program, shopify_id=SHOPIFY_CUSTOMER, email="t@example.com")
        session.add(row)
        await session.flush()
        customer = row.id
    long_ago = datetime.now(UTC) - timedelta(days=400)
    assert await award(sessions, program, customer, 150, "r1", long_ago) == "silver"

    resources = await build_resources(settings)
    try:
        assert await reevaluate_loyalty_tiers(job_context(resources)) == 1
    finally:
        await resources.close()

    async with sessions.begin() as session:
        now = datetime.now(UTC)
        found = await service.balance_of(session, shop_id=program, customer_id=customer, now=now)
    assert (found.tier, found.balance) == (None, 150)
