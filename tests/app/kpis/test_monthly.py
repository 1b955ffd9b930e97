"""Long periods read whole months from kpi_monthly and the rest from kpi_daily: the plan of
what to read covers every day of a period exactly once (signed), the monthly sums follow late
changes to a day, and a 13-month period answers what its days add up to."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.periods import Period, Segment, next_month, plan
from app.models import Shop
from tests.app.kpis.conftest import get_json, paris
from tests.support.kpi_rows import Rows


def test_a_period_from_mid_month_to_a_first_of_the_month() -> None:
    assert plan(Period(date(2025, 10, 15), date(2026, 11, 1))) == [
        # October 2025 holds 17 of the period's days and 14 outside it: the month minus those.
        Segment("kpi_monthly", date(2025, 10, 1), date(2025, 10, 1), 1),
        Segment("kpi_daily", date(2025, 10, 1), date(2025, 10, 14), -1),
        Segment("kpi_monthly", date(2025, 11, 1), date(2026, 10, 1), 1),
        Segment("kpi_daily", date(2026, 11, 1), date(2026, 11, 1), 1),
    ]


def test_a_short_period_reads_days_only() -> None:
    assert plan(Period(date(2026, 11, 3), date(2026, 11, 9))) == [
        Segment("kpi_daily", date(2026, 11, 3), date(2026, 11, 9), 1)
    ]


def _days(segment: Segment) -> list[date]:
    if segment.table == "kpi_daily":
        return [
            segment.first + timedelta(days=n)
            for n in range((segment.last - segment.first).days + 1)
        ]
    out, month = [], segment.first
    while month <= segment.last:
        out += [month + timedelta(days=n) for n in range((next_month(month) - month).days)]
        month = next_month(month)
    return out


def test_every_day_of_any_period_counts_exactly_once() -> None:
    rng = random.Random(19)
    for _ in range(2000):
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(800))
        period = Period(first, first + timedelta(days=rng.randrange(731)))
        counted: Counter[date] = Counter()
        for segment in plan(period):
            for day in _days(segment):
                counted[day] += segment.sign
        wanted = {period.first + timedelta(days=n) for n in range(period.days)}
        assert {day for day, n in counted.items() if n} == wanted, period
        assert all(counted[day] == 1 for day in wanted), period
        # Never more than a month's worth of days read at either end.
        daily = sum(len(_days(s)) for s in plan(period) if s.table == "kpi_daily")
        assert daily <= 32, (period, daily)


async def _monthly(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> dict[str, str]:
    async with sessions.begin() as session:
        rows = await session.execute(
            text(
                "SELECT month, value FROM kpi_monthly WHERE shop_id = :s AND source = 'store' "
                "AND metric = 'orders' ORDER BY month"
            ),
            {"s": shop_id},
        )
        return {month.isoformat()[:7]: str(Decimal(value).normalize()) for month, value in rows}


async def test_a_long_period_adds_up_its_months_and_days(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    placed = {
        "2025-10-03 12:00": "1.00",  # before the period
        "2025-10-20 12:00": "2.00",
        "2025-11-15 12:00": "4.00",
        "2026-01-31 23:30": "8.00",  # the last minutes of January in Paris
        "2026-02-01 00:30": "16.00",
        "2026-06-10 12:00": "32.00",
        "2026-11-01 09:00": "64.00",
        "2026-11-02 09:00": "128.00",  # after the period
    }
    ids = {}
    for at, total in placed.items():
        ids[at], _ = await rows.order(customer_id=None, placed_at=paris(at), total=total)
    await rolled()
    assert await _monthly(sessions, shop.id) == {
        "2025-10": "2",
        "2025-11": "1",
        "2026-01": "1",
        "2026-02": "1",
        "2026-06": "1",
        "2026-11": "2",
    }
    url = "/api/kpis/store?from=2025-10-15&to=2026-11-01"

    async def figures() -> tuple[str, str]:
        body = await get_json(client, url, auth)
        return body["figures"]["orders"]["value"], body["figures"]["revenue"]["value"]

    assert await figures() == ("6.0000", "126.0000")  # 2 + 4 + 8 + 16 + 32 + 64
    series = await get_json(
        client, "/api/kpis/series?metric=revenue&source=store&from=2025-10-15&to=2026-11-01", auth
    )
    assert sum(Decimal(p["values"].get("store", "0")) for p in series["points"]) == 126

    # A late change to a day of a month already summed: the month follows.
    await rows.cancel(ids["2025-10-20 12:00"], paris("2026-11-05 10:00"))
    await rolled()
    assert (await _monthly(sessions, shop.id))["2025-10"] == "1"
    assert await figures() == ("5.0000", "124.0000")
