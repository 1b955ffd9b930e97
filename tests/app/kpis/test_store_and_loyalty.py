"""Store retention and loyalty figures (docs/kpis.md) on a hand-computed data set, read
through GET /api/kpis/store, /cohorts and /loyalty after the roll-up job ran."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.jobs import roll_up
from app.kpis.rollup import SNAPSHOT_EVERY, utc_now
from app.models import (
    CustomerOrderStats,
    LoyaltyProgram,
    LoyaltyRedemption,
    PointsLedgerEntry,
    Shop,
)
from tests.app.kpis.conftest import PARIS, get_json, paris
from tests.support.kpi_rows import Rows


def month(at: datetime) -> str:
    return at.astimezone(PARIS).strftime("%Y-%m")


def months_between(first: datetime, later: datetime) -> int:
    a, b = first.astimezone(PARIS), later.astimezone(PARIS)
    return (b.year - a.year) * 12 + b.month - a.month


async def test_retention_and_loyalty_figures(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = now - timedelta(days=400)
    a = await rows.customer("a@example.test")
    b = await rows.customer("b@example.test")
    c = await rows.customer("c@example.test")
    await rows.customer("d@example.test")  # never ordered
    orders = {
        a: [(t0, "10"), (t0 + timedelta(days=10), "20"), (t0 + timedelta(days=40), "30")],
        b: [(now - timedelta(days=20), "40"), (now - timedelta(days=5), "50")],
        c: [(now - timedelta(days=300), "100")],
    }
    for customer, placed in orders.items():
        for at, total in placed:
            _, shopify_id = await rows.order(customer_id=customer, placed_at=at, total=total)
    await rows.refund(shopify_id, "50", now - timedelta(days=299))  # C's order
    async with sessions.begin() as session:
        for customer, placed in orders.items():
            session.add(
                CustomerOrderStats(
                    shop_id=shop.id,
                    customer_id=customer,
                    orders_count=len(placed),
                    first_order_at=placed[0][0],
                    last_order_at=placed[-1][0],
                )
            )
        session.add(
            LoyaltyProgram(
                shop_id=shop.id,
                settings={
                    "enabled": True,
                    "rewards": [
                        {"key": "five", "cost": 500, "kind": "fixed_amount", "value": "5.00"},
                        {"key": "pct", "cost": 100, "kind": "percentage", "value": "10"},
                    ],
                },
            )
        )
        for customer, kind, delta in (
            (a, "earn", 1000),
            (a, "redeem", -500),
            (b, "earn", 300),
            (b, "expire", -100),
            (c, "bonus", 50),
            (c, "adjust", -20),
        ):
            session.add(
                PointsLedgerEntry(
                    shop_id=shop.id,
                    customer_id=customer,
                    delta=delta,
                    kind=kind,
                    source_type="test",
                    source_id=f"{customer}-{kind}",
                    actor="system",
                    available_at=now,
                )
            )
        session.add(
            LoyaltyRedemption(
                shop_id=shop.id,
                customer_id=a,
                request_key="r1",
                reward_key="five",
                reward={},
                cost=500,
                status="issued",
                issued_at=now,
            )
        )
    for customer, tier, opened in (
        (a, "gold", t0 - timedelta(days=1)),
        (b, "silver", now),
        (c, None, now),
    ):
        await rows.account(customer, opened=opened, tier=tier)
    await rolled()

    store = await get_json(client, "/api/kpis/store", auth)
    retention = store["retention"]
    assert retention["customers_with_orders"] == 3
    assert retention["repeat_customers"] == 2
    assert retention["repeat_purchase_rate"] == "0.6667"  # 2 ÷ 3
    assert retention["median_days_first_to_second_order"] == "12.5000"  # A 10, B 15
    assert retention["lifetime_days_mean"] == "18.3333"  # (40 + 15 + 0) ÷ 3
    assert retention["lifetime_days_median"] == "15.0000"
    assert retention["lifetime_value"] == "66.6667"  # (60 + 90 + 100 − 50) ÷ 3
    assert (retention["active_customers"], retention["lapsed_customers"]) == (1, 2)

    cohorts = {
        c["cohort"]: c for c in (await get_json(client, "/api/kpis/cohorts", auth))["cohorts"]
    }
    # Distinct customers of each first-order month, by months since.
    expected: dict[str, dict[int, set[int]]] = {}
    for customer, placed in orders.items():
        first = placed[0][0]
        for at, _ in placed:
            expected.setdefault(month(first), {}).setdefault(months_between(first, at), set()).add(
                customer
            )
    assert {k: c["size"] for k, c in cohorts.items()} == {k: len(v[0]) for k, v in expected.items()}
    for key, by_month in expected.items():
        for offset, customers in by_month.items():
            assert cohorts[key]["retained"][offset] == len(customers)

    start = (t0 - timedelta(days=1)).astimezone(PARIS).date().isoformat()
    loyalty = await get_json(client, f"/api/kpis/loyalty?from={start}", auth)
    state = loyalty["state"]
    assert state["participation"] == "0.7500"  # A, B, C of 4 customers
    assert (state["points_issued"], state["points_redeemed"], state["points_expired"]) == (
        1350,
        500,
        100,
    )
    assert state["points_outstanding"] == 730  # 1350 − 500 − 100 − 20
    assert state["point_value"] == "0.0100"  # the best money reward: 5.00 for 500
    assert state["liability"] == "7.3000"
    assert state["rewards_distributed"] == 1
    assert state["redemption_rate"] == "0.3704"  # 500 ÷ 1350
    assert state["members_per_tier"] == [
        {"tier": None, "members": 1},
        {"tier": "gold", "members": 1},
        {"tier": "silver", "members": 1},
    ]
    assert Decimal(loyalty["figures"]["points_issued"]["value"]) == 1350
    member = loyalty["member_revenue"]
    assert Decimal(member["member_revenue"]["value"]) == 60  # A's, opened before
    assert Decimal(member["nonmember_revenue"]["value"]) == 140  # B 90 + C 100 − 50


async def test_a_members_order_refunded_twice_counts_both_refunds_once(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    member = await rows.customer("m@example.test")
    late = await rows.customer("l@example.test")
    _, refunded = await rows.order(
        customer_id=member, placed_at=now - timedelta(days=2), total="100"
    )
    await rows.order(customer_id=member, placed_at=now - timedelta(days=2), total="30")
    await rows.refund(refunded, "10", now - timedelta(days=1))
    await rows.refund(refunded, "15", now - timedelta(days=1))
    # An account opened after the order: not a member's order. A guest's order neither.
    await rows.order(customer_id=late, placed_at=now - timedelta(days=2), total="40")
    await rows.order(customer_id=None, placed_at=now - timedelta(days=2), total="7")
    await rows.account(member, opened=now - timedelta(days=3))
    await rows.account(late, opened=now)
    await rolled()

    start = (now - timedelta(days=4)).astimezone(PARIS).date().isoformat()
    loyalty = await get_json(client, f"/api/kpis/loyalty?from={start}", auth)
    figures = loyalty["member_revenue"]
    assert Decimal(figures["member_revenue"]["value"]) == 105  # 100 − 10 − 15 + 30
    assert Decimal(figures["nonmember_revenue"]["value"]) == 47  # 40 + 7


async def test_a_change_rolled_up_soon_after_a_snapshot_reaches_it_later(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """The snapshots are recomputed at most every SNAPSHOT_EVERY: a second order rolled up
    within that time is not in them yet, but a pass once that time has passed (the shop quiet
    since) puts it in."""
    customer = await rows.customer("repeat@example.test")
    await rows.order(customer_id=customer, placed_at=paris("2026-11-05 10:00"), total="30.00")
    await rolled()
    await rows.order(customer_id=customer, placed_at=paris("2026-11-06 10:00"), total="20.00")
    await rolled()
    await rolled()
    store = await get_json(client, "/api/kpis/store", auth)
    assert store["retention"]["median_days_first_to_second_order"] is None  # not yet
    later = utc_now() + SNAPSHOT_EVERY + timedelta(seconds=1)
    assert await roll_up(sessions, clock=lambda: later) == 0  # nothing marked since
    store = await get_json(client, "/api/kpis/store", auth)
    assert store["retention"]["median_days_first_to_second_order"] == "1.0000"
    assert store["retention"]["computed_at"] == later.isoformat()


async def test_a_quiet_shops_snapshot_follows_the_clock(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """Active versus lapsed is relative to now: a shop with no change at all still sees a
    customer lapse once its snapshot is a day old."""
    now = utc_now()
    last = now - timedelta(days=179, hours=12)
    customer = await rows.customer("lapsing@example.test")
    await rows.order(customer_id=customer, placed_at=last, total="30.00")
    async with sessions.begin() as session:
        session.add(
            CustomerOrderStats(
                shop_id=shop.id,
                customer_id=customer,
                orders_count=1,
                first_order_at=last,
                last_order_at=last,
            )
        )
    await rolled()
    retention = (await get_json(client, "/api/kpis/store", auth))["retention"]
    assert (retention["active_customers"], retention["lapsed_customers"]) == (1, 0)
    # Less than a day on, nothing changed: the snapshot stays as it is.
    await roll_up(sessions, clock=lambda: now + timedelta(hours=23))
    retention = (await get_json(client, "/api/kpis/store", auth))["retention"]
    assert (retention["active_customers"], retention["lapsed_customers"]) == (1, 0)
    await roll_up(sessions, clock=lambda: now + timedelta(days=1, minutes=1))
    retention = (await get_json(client, "/api/kpis/store", auth))["retention"]
    assert (retention["active_customers"], retention["lapsed_customers"]) == (0, 1)
