"""What the KPI API reads: the daily roll-up summed over a period of local days, compared with
the period of the same length just before, the derived rates (app/kpis/definitions.py), time
series by day, the snapshots, and the lift of a holdout group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.kpis.definitions import change, derived, referral_rates, review_rates
from app.kpis.lift import Lift, scenario_lift
from app.kpis.periods import Period, Sums, sums_of
from app.loyalty.content import PROGRAM_KEY as LOYALTY_KEY
from app.referrals import kpis as referral_kpis
from app.referrals.settings import KEY as REFERRAL_KEY
from app.reviews import kpis as review_kpis

# Journeys' figures as the API lists them (their derived rates follow).
SCENARIO_METRICS = (
    "runs_started",
    "holdout",
    "recipients",
    "sent",
    "delivered",
    "bounced",
    "suppressed",
    "unique_human_opens",
    "unique_human_clicks",
    "machine_only_opens",
    "machine_only_clicks",
    "conversions",
    "revenue",
    "refunded",
    "discount_cost",
    "recovered",
    "recovered_revenue",
)
STORE_METRICS = (
    "orders",
    "revenue",
    "member_orders",
    "member_revenue",
    "nonmember_orders",
    "nonmember_revenue",
)
LOYALTY_METRICS = (
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_taken_back",
    "rewards_distributed",
)
REFERRAL_METRICS = (
    "link_visits",
    "codes_issued",
    "codes_used",
    "flagged",
    "qualified",
    "rewarded",
    "voided",
    "rejected",
    "referred_orders",
    "referred_revenue",
)
REVIEW_METRICS = (
    "requests",
    "requests_answered",
    "reviews",
    "rating_sum",
    "reviews_with_photos",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)
# Sources of the roll-up that are not journeys (the scenario table leaves them out): the store,
# the programs' own figures, and the messages the programs send outside any scenario's run
# (their `scenario` key: the loyalty notices' "loyalty", the referral emails' "referral").
NOT_SCENARIOS = frozenset(
    {
        "store",
        LOYALTY_KEY,
        referral_kpis.SOURCE,
        REFERRAL_KEY,
        review_kpis.SOURCE,
    }
)
Rates = Callable[[Mapping[str, Decimal]], dict[str, Decimal | None]]
# Each program's derived rates (app/kpis/definitions.py).
SOURCE_RATES: dict[str, Rates] = {"referrals": referral_rates, "reviews": review_rates}


async def sums(session: AsyncSession, shop_id: int, period: Period) -> Sums:
    (found,) = await sums_of(session, shop_id, period)
    return found


async def _now_and_before(session: AsyncSession, shop_id: int, period: Period) -> list[Sums]:
    return await sums_of(session, shop_id, period, period.previous())


_RATE = Decimal("0.000001")


def _text(value: Decimal | None, *, rate: bool = False) -> str | None:
    """Figures travel as strings (JSON numbers are floats): counts and money as stored, rates
    to six places."""
    if value is None:
        return None
    return str(value.quantize(_RATE)) if rate else str(value)


def _figures(
    current: dict[str, Decimal], previous: dict[str, Decimal], metrics: tuple[str, ...]
) -> dict[str, Any]:
    """Each metric's value now and before, with its relative change; then the rates."""
    out: dict[str, Any] = {}
    for metric in metrics:
        now, before = current.get(metric, Decimal(0)), previous.get(metric, Decimal(0))
        out[metric] = {
            "value": _text(now),
            "previous": _text(before),
            "change": _text(change(now, before), rate=True),
        }
    rates_now, rates_before = derived(current), derived(previous)
    for name, value in rates_now.items():
        out[name] = {
            "value": _text(value, rate=True),
            "previous": _text(rates_before[name], rate=True),
            "change": _text(change(value, rates_before[name]), rate=True),
        }
    return out


def _suppressed_reasons(figures: dict[str, Decimal]) -> dict[str, str | None]:
    return {
        metric.removeprefix("suppressed."): _text(value)
        for metric, value in sorted(figures.items())
        if metric.startswith("suppressed.")
    }


async def scenarios(
    session: AsyncSession, shop_id: int, period: Period, keys: list[str]
) -> list[dict[str, Any]]:
    """Every scenario (the catalog's, and any other the roll-up has figures for), whole."""
    now, before = await _now_and_before(session, shop_id, period)
    seen = {source for source, _ in (*now, *before) if source not in NOT_SCENARIOS}
    return [
        {
            "scenario": key,
            "figures": _figures(now.get((key, 0), {}), before.get((key, 0), {}), SCENARIO_METRICS),
            "suppressed_by_reason": _suppressed_reasons(now.get((key, 0), {})),
        }
        for key in sorted(set(keys) | seen)
    ]


async def scenario_steps(
    session: AsyncSession, shop_id: int, period: Period, key: str
) -> list[dict[str, Any]]:
    """One scenario step by step (its funnel): step 0 is the whole scenario."""
    now, before = await _now_and_before(session, shop_id, period)
    steps = sorted({step for source, step in (*now, *before) if source == key} | {0})
    return [
        {
            "step": step,
            "figures": _figures(
                now.get((key, step), {}), before.get((key, step), {}), SCENARIO_METRICS
            ),
            "suppressed_by_reason": _suppressed_reasons(now.get((key, step), {})),
        }
        for step in steps
    ]


async def source_figures(
    session: AsyncSession, shop_id: int, period: Period, source: str, metrics: tuple[str, ...]
) -> dict[str, Any]:
    """One source's figures with the previous period, then its rates when it has any."""
    (found,) = await many_source_figures(session, shop_id, period, ((source, metrics),))
    return found


async def many_source_figures(
    session: AsyncSession,
    shop_id: int,
    period: Period,
    wanted: tuple[tuple[str, tuple[str, ...]], ...],
) -> list[dict[str, Any]]:
    """Several sources' figures from one read of the roll-ups."""
    now, before = await _now_and_before(session, shop_id, period)
    out = []
    for source, metrics in wanted:
        current, previous = now.get((source, 0), {}), before.get((source, 0), {})
        figures = {
            metric: _compared(current.get(metric, Decimal(0)), previous.get(metric, Decimal(0)))
            for metric in metrics
        }
        rates = SOURCE_RATES.get(source)
        if rates is not None:
            rates_now, rates_before = rates(current), rates(previous)
            for name, value in rates_now.items():
                figures[name] = _compared(value, rates_before[name], rate=True)
        out.append(figures)
    return out


def _compared(now: Decimal | None, before: Decimal | None, *, rate: bool = False) -> dict[str, Any]:
    return {
        "value": _text(now, rate=rate),
        "previous": _text(before, rate=rate),
        "change": _text(change(now, before), rate=True),
    }


_SERIES = text("""
SELECT day, source, sum(value) FROM kpi_daily
WHERE shop_id = :shop_id AND day BETWEEN :first AND :last AND step = :step AND metric = :metric
  AND (CAST(:source AS text) IS NULL OR source = :source)
GROUP BY day, source ORDER BY day, source
""")


async def series(
    session: AsyncSession,
    shop_id: int,
    period: Period,
    metric: str,
    source: str | None = None,
    step: int = 0,
) -> list[dict[str, Any]]:
    """One metric by local day and source; every day of the period is there (0 when none)."""
    found: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for day, src, value in await session.execute(
        _SERIES,
        {
            "shop_id": shop_id,
            "first": period.first,
            "last": period.last,
            "metric": metric,
            "step": step,
            "source": source,
        },
    ):
        found[day][src] = Decimal(value)
    return [
        {
            "day": (period.first + timedelta(days=i)).isoformat(),
            "values": {
                k: _text(v) for k, v in found.get(period.first + timedelta(days=i), {}).items()
            },
        }
        for i in range(period.days)
    ]


async def snapshot(session: AsyncSession, shop_id: int, source: str) -> dict[str, Any] | None:
    row = (
        await session.execute(
            text(
                "SELECT payload, computed_at FROM kpi_snapshots "
                "WHERE shop_id = :shop_id AND source = :source"
            ),
            {"shop_id": shop_id, "source": source},
        )
    ).one_or_none()
    if row is None:
        return None
    return {**row[0], "computed_at": row[1].isoformat()}


async def lift(session: AsyncSession, shop_id: int, period: Period, key: str) -> Lift:
    return await scenario_lift(
        session, shop_id=shop_id, scenario=key, first=period.first, last=period.last
    )


_ATTRIBUTIONS = text("""
SELECT a.day, o.name AS order_name, a.scenario, a.step, a.via, a.placed_at, a.revenue,
       a.refunded, a.discount_cost
FROM kpi_attributions a JOIN orders o ON o.id = a.order_id
WHERE a.shop_id = :shop_id AND a.day BETWEEN :first AND :last
ORDER BY a.placed_at, a.order_id
LIMIT :limit
""")


async def attributions(
    session: AsyncSession, shop_id: int, period: Period, limit: int = 10_000
) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in (
            await session.execute(
                _ATTRIBUTIONS,
                {"shop_id": shop_id, "first": period.first, "last": period.last, "limit": limit},
            )
        ).mappings()
    ]
