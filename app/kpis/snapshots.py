"""Point-in-time figures that no day owns (retention, the loyalty program's state), computed
from the raw rows by the roll-up job and kept in kpi_snapshots, so the API reads one row.
Definitions: docs/kpis.md."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# A customer whose last order is older than this is lapsed.
ACTIVE_DAYS = 180
# The cohort triangle's depth: this many months of first orders.
COHORT_MONTHS = 24

Compute = Callable[[AsyncSession, int, str, datetime], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Snapshot:
    source: str
    compute: Compute


def _number(value: Any) -> str | None:
    """Money and ratios travel as strings (JSON has no decimal); None stays None."""
    if value is None:
        return None
    return str(Decimal(value).quantize(Decimal("0.0001")))


_CUSTOMERS = text("""
SELECT count(*) AS customers,
       count(*) FILTER (WHERE orders_count >= 2) AS repeat_customers,
       avg(extract(epoch FROM last_order_at - first_order_at)) / 86400 AS lifetime_days_mean,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM last_order_at - first_order_at)) / 86400
           AS lifetime_days_median,
       count(*) FILTER (WHERE last_order_at >= :active_since) AS active,
       count(*) FILTER (WHERE last_order_at < :active_since) AS lapsed
FROM customer_order_stats WHERE shop_id = :shop_id
""")

_SECOND_ORDER = text("""
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) / 86400 AS median_days
FROM (
    SELECT extract(epoch FROM max(placed_at) - min(placed_at)) AS gap
    FROM (
        SELECT customer_id, placed_at,
               row_number() OVER (PARTITION BY customer_id ORDER BY placed_at, id) AS n
        FROM orders
        WHERE shop_id = :shop_id AND customer_id IS NOT NULL AND cancelled_at IS NULL
          AND placed_at IS NOT NULL
    ) ranked
    WHERE n <= 2 GROUP BY customer_id HAVING count(*) = 2
) gaps
""")

_VALUE = text("""
SELECT coalesce(sum(coalesce(o.total_price, 0)), 0)
     - coalesce((SELECT sum(r.amount) FROM refunds r JOIN orders x
                 ON x.shop_id = r.shop_id AND x.shopify_id = r.order_shopify_id
                 WHERE r.shop_id = :shop_id AND x.customer_id IS NOT NULL
                   AND x.cancelled_at IS NULL), 0) AS net
FROM orders o
WHERE o.shop_id = :shop_id AND o.customer_id IS NOT NULL AND o.cancelled_at IS NULL
""")

_COHORTS = text("""
WITH firsts AS (
    SELECT customer_id, date_trunc('month', first_order_at AT TIME ZONE :tz) AS cohort
    FROM customer_order_stats
    WHERE shop_id = :shop_id
      AND first_order_at >= date_trunc('month', now() AT TIME ZONE :tz) AT TIME ZONE :tz
          - make_interval(months => :months - 1)
)
SELECT to_char(f.cohort, 'YYYY-MM') AS cohort,
       (extract(year FROM age(date_trunc('month', o.placed_at AT TIME ZONE :tz), f.cohort)) * 12
        + extract(month FROM age(date_trunc('month', o.placed_at AT TIME ZONE :tz), f.cohort)))
           ::int AS month,
       count(DISTINCT o.customer_id) AS customers
FROM firsts f JOIN orders o ON o.shop_id = :shop_id AND o.customer_id = f.customer_id
WHERE o.cancelled_at IS NULL AND o.placed_at IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2
""")


async def retention(session: AsyncSession, shop_id: int, tz: str, now: datetime) -> dict[str, Any]:
    params = {"shop_id": shop_id, "active_since": now - timedelta(days=ACTIVE_DAYS)}
    row = (await session.execute(_CUSTOMERS, params)).mappings().one()
    median_second = await session.scalar(_SECOND_ORDER, {"shop_id": shop_id})
    net = Decimal(await session.scalar(_VALUE, {"shop_id": shop_id}) or 0)
    customers = int(row["customers"])
    triangle: dict[str, dict[int, int]] = {}
    for cohort, month, count in await session.execute(
        _COHORTS, {"shop_id": shop_id, "tz": tz, "months": COHORT_MONTHS}
    ):
        triangle.setdefault(cohort, {})[int(month)] = int(count)
    return {
        "customers_with_orders": customers,
        "repeat_customers": int(row["repeat_customers"]),
        "repeat_purchase_rate": _number(
            Decimal(row["repeat_customers"]) / customers if customers else None
        ),
        "median_days_first_to_second_order": _number(median_second),
        "lifetime_days_mean": _number(row["lifetime_days_mean"]),
        "lifetime_days_median": _number(row["lifetime_days_median"]),
        "lifetime_value": _number(net / customers if customers else None),
        "active_customers": int(row["active"]),
        "lapsed_customers": int(row["lapsed"]),
        "active_days": ACTIVE_DAYS,
        "cohorts": [
            {
                "cohort": cohort,
                "size": months.get(0, 0),
                "retained": [months.get(m, 0) for m in range(max(months) + 1)],
            }
            for cohort, months in sorted(triangle.items())
        ],
    }


_LOYALTY = text("""
SELECT
    (SELECT count(*) FROM customers WHERE shop_id = :shop_id AND redacted_at IS NULL)
        AS customers,
    (SELECT count(DISTINCT customer_id) FROM points_ledger
     WHERE shop_id = :shop_id AND kind IN ('earn', 'bonus', 'redeem')) AS participants,
    coalesce(sum(delta) FILTER (
        WHERE kind IN ('earn', 'bonus') OR (kind = 'adjust' AND delta > 0)), 0) AS issued,
    coalesce(-sum(delta) FILTER (WHERE kind = 'redeem'), 0) AS redeemed,
    coalesce(-sum(delta) FILTER (WHERE kind = 'expire'), 0) AS expired,
    coalesce(-sum(delta) FILTER (
        WHERE kind = 'clawback' OR (kind = 'adjust' AND delta < 0)), 0) AS taken_back,
    coalesce(sum(delta), 0) AS outstanding
FROM points_ledger WHERE shop_id = :shop_id
""")

_TIERS = text("""
SELECT coalesce(tier, '') AS tier, count(*) FROM loyalty_accounts
WHERE shop_id = :shop_id GROUP BY 1 ORDER BY 1
""")

_REWARDS = text("""
SELECT count(*) FROM loyalty_redemptions
WHERE shop_id = :shop_id AND issued_at IS NOT NULL AND status <> 'returned'
""")

_PROGRAM = text("SELECT settings FROM loyalty_programs WHERE shop_id = :shop_id")
_CURRENCY = text("SELECT currency FROM shops WHERE id = :shop_id")


def point_value(settings: dict[str, Any]) -> Decimal | None:
    """What one point is worth in the shop's currency: the best rate among the rewards with a
    money value (an amount off or store credit); None when no reward has one."""
    rates = [
        Decimal(str(reward.get("value", 0))) / Decimal(int(reward["cost"]))
        for reward in settings.get("rewards", ())
        if reward.get("kind") in ("fixed_amount", "store_credit") and int(reward.get("cost", 0))
    ]
    return max(rates) if rates else None


async def loyalty(session: AsyncSession, shop_id: int, tz: str, now: datetime) -> dict[str, Any]:
    row = (await session.execute(_LOYALTY, {"shop_id": shop_id})).mappings().one()
    settings = await session.scalar(_PROGRAM, {"shop_id": shop_id}) or {}
    value = point_value(settings)
    customers = int(row["customers"])
    issued = int(row["issued"])
    outstanding = int(row["outstanding"])
    return {
        "customers": customers,
        "participants": int(row["participants"]),
        "participation": _number(Decimal(row["participants"]) / customers if customers else None),
        "points_issued": issued,
        "points_redeemed": int(row["redeemed"]),
        "points_expired": int(row["expired"]),
        "points_taken_back": int(row["taken_back"]),
        "points_outstanding": outstanding,
        "point_value": _number(value),
        "liability": _number(outstanding * value if value is not None else None),
        "currency": await session.scalar(_CURRENCY, {"shop_id": shop_id}),
        "rewards_distributed": int(await session.scalar(_REWARDS, {"shop_id": shop_id}) or 0),
        "redemption_rate": _number(Decimal(row["redeemed"]) / issued if issued else None),
        "members_per_tier": [
            {"tier": tier or None, "members": int(count)}
            for tier, count in await session.execute(_TIERS, {"shop_id": shop_id})
        ],
    }


RETENTION = Snapshot("retention", retention)
LOYALTY = Snapshot("loyalty", loyalty)
