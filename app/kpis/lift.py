"""The incremental effect of a scenario, from its holdout group (docs/kpis.md, "Lift").

Every subject that entered the scenario in the period is either treated (messaged as usual)
or held out (never messaged). A subject converted when it ordered within LIFT_WINDOW_DAYS
of entering (its customer's orders, and for a checkout scenario the order completing its
checkout). Lift in conversion rate = p_treated − p_holdout, with Newcombe's hybrid score
interval (method 10, from Wilson intervals) at 95 %; lift in revenue per subject = the
difference of the means, with a Welch (unequal-variance) normal interval; incremental
revenue = that difference × treated subjects. The sample is too small to tell when either
group has fewer than MIN_GROUP subjects, or fewer than MIN_EVENTS converted or not converted."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
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


_GROUPS = text("""
SELECT r.stop_reason IS NOT DISTINCT FROM 'holdout' AS held,
       count(*) AS subjects,
       count(*) FILTER (WHERE x.revenue IS NOT NULL) AS converted,
       coalesce(sum(x.revenue), 0) AS revenue,
       coalesce(sum(x.revenue * x.revenue), 0) AS revenue_squares
FROM scenario_runs r
LEFT JOIN LATERAL (
    SELECT sum(total) AS revenue FROM (
        SELECT o.id, coalesce(o.total_price, 0) AS total FROM orders o
        WHERE o.shop_id = r.shop_id AND o.customer_id = r.customer_id
          AND o.placed_at >= r.started_at
          AND o.placed_at < r.started_at + make_interval(days => :window)
          AND o.cancelled_at IS NULL
        UNION
        SELECT o.id, coalesce(o.total_price, 0) FROM orders o
        WHERE :by_checkout AND o.shop_id = r.shop_id AND o.checkout_token = r.subject_key
          AND o.placed_at >= r.started_at
          AND o.placed_at < r.started_at + make_interval(days => :window)
          AND o.cancelled_at IS NULL
    ) orders_of_subject
) x ON true
WHERE r.shop_id = :shop_id AND r.scenario = :scenario
  AND r.started_at >= :start AND r.started_at < :end
GROUP BY 1
""")


async def scenario_lift(
    session: AsyncSession,
    *,
    shop_id: int,
    scenario: str,
    start: datetime,
    end: datetime,
    by_checkout: bool,
) -> Lift:
    groups = {
        bool(row.held): Group(
            int(row.subjects),
            int(row.converted),
            Decimal(row.revenue),
            Decimal(row.revenue_squares),
        )
        for row in await session.execute(
            _GROUPS,
            {
                "shop_id": shop_id,
                "scenario": scenario,
                "start": start,
                "end": end,
                "window": LIFT_WINDOW_DAYS,
                "by_checkout": by_checkout,
            },
        )
    }
    empty = Group(0, 0, Decimal(0), Decimal(0))
    return lift(groups.get(False, empty), groups.get(True, empty))
