"""Per-customer order statistics (customer_order_stats): how many orders, the first and the
last, and the median gap between consecutive orders. The orders handler refreshes a customer's
row whenever one of their orders is first stored or cancelled, in the same transaction, so
the scheduled win-back selection reads one indexed row per customer and never aggregates
orders while it pages.

One statement per refresh, over the (shop_id, customer_id, placed_at) index on orders."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

# Cancelled orders and orders without a date do not count. The median of the gaps between
# consecutive orders (percentile_cont over lag) is NULL for a single order.
_REFRESH = text(
    """
WITH placed AS (
    SELECT placed_at,
           placed_at - lag(placed_at) OVER (ORDER BY placed_at) AS gap
    FROM orders
    WHERE shop_id = :shop_id AND customer_id = :customer_id
      AND cancelled_at IS NULL AND placed_at IS NOT NULL
), stats AS (
    SELECT count(*) AS orders_count,
           min(placed_at) AS first_order_at,
           max(placed_at) AS last_order_at,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap))
               FILTER (WHERE gap IS NOT NULL) AS median_interval_seconds
    FROM placed
), gone AS (
    DELETE FROM customer_order_stats
    WHERE shop_id = :shop_id AND customer_id = :customer_id
      AND (SELECT orders_count FROM stats) = 0
)
INSERT INTO customer_order_stats AS s
    (shop_id, customer_id, orders_count, first_order_at, last_order_at,
     median_interval_seconds)
SELECT :shop_id, :customer_id, orders_count, first_order_at, last_order_at,
       median_interval_seconds
FROM stats
WHERE orders_count > 0
ON CONFLICT (shop_id, customer_id) DO UPDATE SET
    orders_count = excluded.orders_count,
    first_order_at = excluded.first_order_at,
    last_order_at = excluded.last_order_at,
    median_interval_seconds = excluded.median_interval_seconds
"""
)

# The same statistics for every customer of every shop at once (the migration's backfill,
# and the benchmark's load).
REBUILD_ALL = """
INSERT INTO customer_order_stats
    (shop_id, customer_id, orders_count, first_order_at, last_order_at,
     median_interval_seconds)
SELECT shop_id, customer_id, count(*), min(placed_at), max(placed_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap))
           FILTER (WHERE gap IS NOT NULL)
FROM (
    SELECT shop_id, customer_id, placed_at,
           placed_at - lag(placed_at)
               OVER (PARTITION BY shop_id, customer_id ORDER BY placed_at) AS gap
    FROM orders
    WHERE customer_id IS NOT NULL AND cancelled_at IS NULL AND placed_at IS NOT NULL
) AS placed
GROUP BY shop_id, customer_id
ON CONFLICT (shop_id, customer_id) DO UPDATE SET
    orders_count = excluded.orders_count,
    first_order_at = excluded.first_order_at,
    last_order_at = excluded.last_order_at,
    median_interval_seconds = excluded.median_interval_seconds
"""


async def refresh_customer_order_stats(
    session: AsyncSession, shop_id: int, customer_id: int
) -> None:
    """Recompute one customer's row from their orders (removed when none counts any more).

    Two orders of one customer processed at once would each compute from a snapshot without
    the other's order, and the later upsert would write its stale figures over the earlier
    (a lost update): the customer's refreshes take turns on a transaction-scoped advisory
    lock, and the statement after it reads the orders committed meanwhile."""
    key = f"order_stats:{shop_id}:{customer_id}"
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
    await session.execute(_REFRESH, {"shop_id": shop_id, "customer_id": customer_id})
