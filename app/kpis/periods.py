"""A period of local days, and its sums read from the roll-ups: whole months from kpi_monthly,
the rest from kpi_daily, so a year is a dozen monthly rows per figure plus at most a couple of
weeks of daily ones at each end, not 365 days of them. A month the period covers mostly is
read as the month minus the days outside the period (exact: kpi_monthly is the sum of
kpi_daily, kept in the same transaction by app/kpis/rollup.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))


@dataclass(frozen=True)
class Segment:
    """Rows of one roll-up between two dates (inclusive; months by their first day), added or
    taken away."""

    table: Literal["kpi_daily", "kpi_monthly"]
    first: date
    last: date
    sign: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def plan(period: Period) -> list[Segment]:
    """The segments whose signed sum is the period's: per month, its daily rows when the period
    holds few of its days, else its monthly row minus the days outside (a monthly row costs
    about what one day's rows cost to read)."""
    segments: list[Segment] = []

    def add(segment: Segment) -> None:
        last = segments[-1] if segments else None
        step = timedelta(days=1) if segment.table == "kpi_daily" else None
        adjacent = (
            last is not None
            and last.table == segment.table
            and last.sign == segment.sign
            and (
                last.last + step == segment.first
                if step
                else next_month(last.last) == segment.first
            )
        )
        if last is not None and adjacent:
            segments[-1] = Segment(segment.table, last.first, segment.last, segment.sign)
        else:
            segments.append(segment)

    month = month_start(period.first)
    while month <= period.last:
        month_last = next_month(month) - timedelta(days=1)
        low, high = max(month, period.first), min(month_last, period.last)
        inside = (high - low).days + 1
        outside = (month_last - month).days + 1 - inside
        if outside == 0:
            add(Segment("kpi_monthly", month, month, 1))
        elif 1 + outside < inside:
            add(Segment("kpi_monthly", month, month, 1))
            if low > month:
                add(Segment("kpi_daily", month, low - timedelta(days=1), -1))
            if high < month_last:
                add(Segment("kpi_daily", high + timedelta(days=1), month_last, -1))
        else:
            add(Segment("kpi_daily", low, high, 1))
        month = next_month(month)
    return segments


Sums = dict[tuple[str, int], dict[str, Decimal]]

_NO_WORKERS = text("SET LOCAL max_parallel_workers_per_gather = 0")


async def sums_of(session: AsyncSession, shop_id: int, *periods: Period) -> list[Sums]:
    """Each period's figures summed by (source, step) and metric, in one statement."""
    parts: list[str] = []
    params: dict[str, object] = {"shop_id": shop_id}
    for which, period in enumerate(periods):
        for segment in plan(period):
            n = len(parts)
            column = "day" if segment.table == "kpi_daily" else "month"
            params[f"a{n}"], params[f"b{n}"] = segment.first, segment.last
            # Table and column names come from plan(), never from input.
            parts.append(
                f"SELECT {which} AS which, source, step, metric, "  # noqa: S608
                f"{'' if segment.sign > 0 else '-'}value AS value FROM {segment.table} "
                f"WHERE shop_id = :shop_id AND {column} BETWEEN :a{n} AND :b{n}"
            )
    result: list[Sums] = [defaultdict(dict) for _ in periods]
    if not parts:
        return result
    # No parallel workers for this read (the transaction's own setting): the tables' own
    # parallel_workers = 0 (0070_kpi_programs) stops parallel scans of them, but not a
    # Parallel Append handing the UNION ALL's parts to workers, and starting them costs more
    # than the 2–4 ms the read takes (EXPLAIN ANALYZE at full size, load average 12: 24 ms
    # with two workers, 2 ms without; p50 of the 30-day endpoints 35 → 75–90 ms since).
    await session.execute(_NO_WORKERS)
    statement = (
        "SELECT which, source, step, metric, sum(value) FROM ("  # noqa: S608 - plan()'s
        + " UNION ALL ".join(parts)
        + ") s GROUP BY which, source, step, metric HAVING sum(value) <> 0"
    )
    for which, source, step, metric, value in await session.execute(text(statement), params):
        result[int(which)][(source, int(step))][metric] = Decimal(value)
    return result
