"""Per-customer order statistics (customer_order_stats): how many orders, the first and the
last, and the median gap between consecutive orders. The orders handler refreshes a customer's
row whenever one of their orders is first stored or cancelled, in the same transaction, so
the scheduled win-back selection reads one indexed row per customer and never aggregates
orders while it pages.

One statement per refresh, over the (shop_id, customer_id, placed_at) index on orders."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver


def refresh_ctes(counted: str, *, when: str = "true") -> str:
    """The refresh as the CTEs of a larger statement (`placed`, `stats`, `stats_gone`,
    `stats_stored`), for the customer :stats_shop_id / :stats_customer_id. `counted` is a
    query of the placed_at of each of their orders that counts (not cancelled, dated), as the
    statement sees them; `when` a condition for doing it at all (when false, nothing is
    written). The median of the gaps between consecutive orders (percentile_cont over lag) is
    NULL for a single order."""
    # Column names and SQL from this module and its callers; every value is a parameter.
    return f"""
placed AS (
    SELECT placed_at,
           placed_at - lag(placed_at) OVER (ORDER BY placed_at) AS gap
    FROM ({counted}) AS counted
    WHERE {when}
), stats AS (
    SELECT count(*) AS orders_count,
           min(placed_at) AS first_order_at,
           max(placed_at) AS last_order_at,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap))
               FILTER (WHERE gap IS NOT NULL) AS median_interval_seconds
    FROM placed
), stats_gone AS (
    DELETE FROM customer_order_stats
    WHERE shop_id = :stats_shop_id AND customer_id = CAST(:stats_customer_id AS bigint)
      AND (SELECT orders_count FROM stats) = 0 AND {when}
), stats_stored AS (
    INSERT INTO customer_order_stats AS s
        (shop_id, customer_id, orders_count, first_order_at, last_order_at,
         median_interval_seconds)
    SELECT :stats_shop_id, :stats_customer_id, orders_count, first_order_at, last_order_at,
           median_interval_seconds
    FROM stats
    WHERE orders_count > 0 AND {when}
    ON CONFLICT (shop_id, customer_id) DO UPDATE SET
        orders_count = excluded.orders_count,
        first_order_at = excluded.first_order_at,
        last_order_at = excluded.last_order_at,
        median_interval_seconds = excluded.median_interval_seconds
)"""  # noqa: S608


# The orders of the customer that count, as stored (`refresh_ctes`' `counted`); the orders
# handler's statement writes one order itself and counts it as it writes it.
COUNTED_ORDERS = """
SELECT placed_at FROM orders
WHERE shop_id = :stats_shop_id AND customer_id = CAST(:stats_customer_id AS bigint)
  AND cancelled_at IS NULL AND placed_at IS NOT NULL"""
_REFRESH = text(f"WITH {refresh_ctes(COUNTED_ORDERS)}\nSELECT count(*) FROM stats")

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


# Compiled once and run on the transaction's driver: it runs for every new order.
_REFRESH_ON_DRIVER = Prepared(_REFRESH)
# The customer's turn (see refresh_customer_order_stats). The orders handler takes it in the
# statement that stores the order's customer, keyed by the row id that statement finds:
# `lock_sql(id)` with :stats_lock_prefix set to `lock_prefix(shop_id)` (NULL: no lock, as
# the lock and hash functions are strict), at no round trip of its own.
LOCK_SQL = "pg_advisory_xact_lock(hashtextextended(CAST(:stats_lock AS text), 0))"


def lock_sql(customer_id: str) -> str:
    return (
        "pg_advisory_xact_lock(hashtextextended("
        f"CAST(:stats_lock_prefix AS text) || {customer_id}, 0))"
    )


_TAKE_TURN = Prepared(text(f"SELECT {LOCK_SQL}"))
_HELD = "boomerang.order_stats_locks"


def lock_prefix(shop_id: int) -> str:
    return f"order_stats:{shop_id}:"


def lock_key(shop_id: int, customer_id: int) -> str:
    return f"{lock_prefix(shop_id)}{customer_id}"


def mark_held(session: AsyncSession, key: str) -> None:
    """The transaction took the customer's turn itself (held until it ends)."""
    session.info.setdefault(_HELD, set()).add(key)


async def refresh_customer_order_stats(
    session: AsyncSession, shop_id: int, customer_id: int
) -> None:
    """Recompute one customer's row from their orders (removed when none counts any more).

    Two orders of one customer processed at once would each compute from a snapshot without
    the other's order, and the later upsert would write its stale figures over the earlier
    (a lost update): the customer's refreshes take turns on a transaction-scoped advisory
    lock, and the statement after it reads the orders committed meanwhile."""
    await session.flush()  # what the session holds unwritten, as its own execute would
    driver = await begun_driver(session)
    key = lock_key(shop_id, customer_id)
    if key not in session.info.get(_HELD, ()):
        await _TAKE_TURN.execute(driver, stats_lock=key)
        mark_held(session, key)
    await _REFRESH_ON_DRIVER.execute(driver, stats_shop_id=shop_id, stats_customer_id=customer_id)
