"""The incremental effect of a scenario, from its holdout group (docs/kpis.md, "Lift").

Every subject that entered the scenario in the period is either treated (messaged as usual)
or held out (never messaged). A subject converted when it ordered within LIFT_WINDOW_DAYS
of entering (its customer's orders, and for a checkout scenario the order completing its
checkout). Lift in conversion rate = p_treated − p_holdout, with Newcombe's hybrid score
interval (method 10, from Wilson intervals) at 95 %; lift in revenue per subject = the
difference of the means, with a Welch (unequal-variance) normal interval; incremental
revenue = that difference × treated subjects. The sample is too small to tell when either
group has fewer than MIN_GROUP subjects, or fewer than MIN_EVENTS converted or not converted.

Each run's outcome is rolled up by the local day it started (kpi_run_outcomes, kept by the
roll-up job with the daily figures, rebuilt with them), so a period's groups are sums of a
few rows per day."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

LIFT_WINDOW_DAYS = 14
Z_95 = 1.959963984540054
MIN_GROUP = 30
MIN_EVENTS = 5


@dataclass(frozen=True)
class Group:
    subjects: int
    converted: int
    revenue: Decimal
    # Σ revenue² per subject, for the variance of the mean.
    revenue_squares: Decimal

    @property
    def rate(self) -> float | None:
        return self.converted / self.subjects if self.subjects else None

    @property
    def revenue_per_subject(self) -> float | None:
        return float(self.revenue) / self.subjects if self.subjects else None


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Lift:
    treated: Group
    holdout: Group
    # "too_small" | "no_difference_detected" | "positive" | "negative"
    verdict: str
    rate_lift: Interval | None
    revenue_per_subject_lift: Interval | None
    incremental_revenue: Interval | None
    incremental_conversions: Interval | None


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z_95) -> Interval:
    """Newcombe's hybrid score interval for p1 − p2 (method 10, 1998)."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    d = p1 - p2
    return Interval(
        d,
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def welch(a: Group, b: Group, z: float = Z_95) -> Interval:
    """Difference of mean revenue per subject with a normal interval on Welch's variance."""

    def mean_and_variance(group: Group) -> tuple[float, float]:
        n = group.subjects
        mean = float(group.revenue) / n
        variance = (float(group.revenue_squares) - n * mean * mean) / (n - 1) if n > 1 else 0.0
        return mean, max(variance, 0.0)

    ma, va = mean_and_variance(a)
    mb, vb = mean_and_variance(b)
    d = ma - mb
    se = math.sqrt(va / a.subjects + vb / b.subjects)
    return Interval(d, d - z * se, d + z * se)


def too_small(group: Group) -> bool:
    return (
        group.subjects < MIN_GROUP
        or group.converted < MIN_EVENTS
        or group.subjects - group.converted < MIN_EVENTS
    )


def lift(treated: Group, holdout: Group) -> Lift:
    if too_small(treated) or too_small(holdout):
        return Lift(treated, holdout, "too_small", None, None, None, None)
    rate = newcombe(treated.converted, treated.subjects, holdout.converted, holdout.subjects)
    money = welch(treated, holdout)
    n = treated.subjects
    if rate.low > 0:
        verdict = "positive"
    elif rate.high < 0:
        verdict = "negative"
    else:
        verdict = "no_difference_detected"
    return Lift(
        treated,
        holdout,
        verdict,
        rate,
        money,
        Interval(money.estimate * n, money.low * n, money.high * n),
        Interval(rate.estimate * n, rate.low * n, rate.high * n),
    )


# The outcome of every run that started on one of the local days [first, last] (a range of
# instants [start, end)), by scenario, day and group: the runs meet the orders that could be
# theirs (placed from the range's start to its end plus the window) in hash joins. A run's
# outcome depends only on its own row and its customer's (or checkout's) orders of the 14
# days after its start, so the sums over days are exactly a period's groups.
_OUTCOMES = text("""
WITH r AS (
    SELECT id, scenario, customer_id, subject_key, started_at,
           (started_at AT TIME ZONE :tz)::date AS day,
           stop_reason IS NOT DISTINCT FROM 'holdout' AS held
    FROM scenario_runs
    WHERE shop_id = :shop_id AND started_at >= :start AND started_at < :end
), o AS (
    SELECT id, customer_id, checkout_token, placed_at, coalesce(total_price, 0) AS total
    FROM orders
    WHERE shop_id = :shop_id AND placed_at >= :start
      AND placed_at < CAST(:end AS timestamptz) + make_interval(days => :window)
      AND cancelled_at IS NULL
), matched AS (
    SELECT r.id AS run_id, o.id AS order_id, o.total
    FROM r JOIN o ON o.customer_id = r.customer_id
    WHERE o.placed_at >= r.started_at
      AND o.placed_at < r.started_at + make_interval(days => :window)
    UNION
    SELECT r.id, o.id, o.total
    FROM r JOIN o ON o.checkout_token = r.subject_key
    WHERE r.scenario = ANY(CAST(:checkout_scenarios AS text[]))
      AND o.placed_at >= r.started_at
      AND o.placed_at < r.started_at + make_interval(days => :window)
), per_run AS (
    SELECT run_id, sum(total) AS revenue FROM matched GROUP BY run_id
)
INSERT INTO kpi_run_outcomes (shop_id, scenario, day, held, subjects, converted, revenue,
                              revenue_squares)
SELECT :shop_id, r.scenario, r.day, r.held,
       count(*),
       count(p.run_id),
       coalesce(sum(p.revenue), 0),
       coalesce(sum(p.revenue * p.revenue), 0)
FROM r LEFT JOIN per_run p ON p.run_id = r.id
GROUP BY r.scenario, r.day, r.held
""")

_DELETE_OUTCOMES = text(
    "DELETE FROM kpi_run_outcomes WHERE shop_id = :shop_id AND day BETWEEN :first AND :last"
)


async def refresh_outcomes(
    session: AsyncSession,
    *,
    shop_id: int,
    first: date,
    last: date,
    start: datetime,
    end: datetime,
    timezone: str,
    checkout_scenarios: Iterable[str],
) -> None:
    """Recompute the run outcomes of the local days first … last (whose instants are start …
    end) from the raw rows, in the caller's transaction."""
    await session.execute(_DELETE_OUTCOMES, {"shop_id": shop_id, "first": first, "last": last})
    await session.execute(
        _OUTCOMES,
        {
            "shop_id": shop_id,
            "start": start,
            "end": end,
            "tz": timezone,
            "window": LIFT_WINDOW_DAYS,
            "checkout_scenarios": sorted(checkout_scenarios),
        },
    )


_GROUPS = text("""
SELECT held, sum(subjects) AS subjects, sum(converted) AS converted,
       sum(revenue) AS revenue, sum(revenue_squares) AS revenue_squares
FROM kpi_run_outcomes
WHERE shop_id = :shop_id AND scenario = :scenario AND day BETWEEN :first AND :last
GROUP BY held
""")


async def scenario_lift(
    session: AsyncSession, *, shop_id: int, scenario: str, first: date, last: date
) -> Lift:
    """The lift of the subjects that entered the scenario on the local days first … last, from
    the rolled-up outcomes."""
    groups = {
        bool(row.held): Group(
            int(row.subjects),
            int(row.converted),
            Decimal(row.revenue),
            Decimal(row.revenue_squares),
        )
        for row in await session.execute(
            _GROUPS, {"shop_id": shop_id, "scenario": scenario, "first": first, "last": last}
        )
    }
    empty = Group(0, 0, Decimal(0), Decimal(0))
    return lift(groups.get(False, empty), groups.get(True, empty))
