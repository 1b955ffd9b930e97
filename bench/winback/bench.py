"""Win-back benchmark. A scratch database with one big shop (300,000 customers and 1,000,000
orders by default, bulk-loaded with COPY) and a small second shop:
1. the per-customer order statistics built once (the migration's backfill) and refreshed for
   single customers (what the orders handler adds to each new order);
2. the whole win-back selection of the big shop, every keyset page through
   app.scenarios.winback.queries (the app's own query), timed 3 times, with the plan of the
   first page. Goal: the whole selection in at most 2 s on this machine.
Prints the figures and appends them to bench/RESULTS.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text

from app.db.engine import create_engine, create_sessionmaker
from app.db.migrate import upgrade
from app.order_stats import REBUILD_ALL, refresh_customer_order_stats
from app.scenarios.winback.queries import (
    _LAPSED_PAGE,
    KEY,
    lapsed_customers,
    lapsed_page_parameters,
)
from app.scenarios.winback.settings import WinbackSettings

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
DB = "boomerang_bench_winback"
NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
SEED = 12


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()}"


async def build_database() -> str:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    url = f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
    await asyncio.to_thread(upgrade, url)
    return url


def customers_and_orders(
    customers: int, orders: int
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Rows for COPY: every customer has at least one order; the rest of the orders go to
    random customers. Each customer has a rhythm (7–120 days between orders, jittered) and a
    last order 0–720 days ago; 60 % subscribed, 0.5 % erased, 2 % of orders cancelled."""
    rng = random.Random(SEED)
    counts = [1] * customers
    for _ in range(orders - customers):
        counts[rng.randrange(customers)] += 1
    customer_rows: list[tuple[object, ...]] = []
    order_rows: list[tuple[object, ...]] = []
    order_id = 0
    for index in range(customers):
        customer_id = index + 1
        roll = rng.random()
        redacted = roll < 0.005
        state = "subscribed" if roll < 0.6 else "not_subscribed"
        customer_rows.append(
            (
                customer_id,
                1,
                customer_id,
                None if redacted else f"shopper{customer_id}@bench.test",
                state,
                NOW if redacted else None,
                [],
                0,
                0,
            )
        )
        last = NOW - timedelta(days=rng.uniform(0, 720))
        rhythm = rng.uniform(7, 120)
        placed = last
        for _ in range(counts[index]):
            order_id += 1
            cancelled = placed if rng.random() < 0.02 else None
            order_rows.append((order_id, 1, order_id, customer_id, placed, cancelled))
            placed -= timedelta(days=rhythm * rng.uniform(0.5, 1.5))
    return customer_rows, order_rows


async def seed(url: str, customers: int, orders: int) -> dict[str, float]:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    timings: dict[str, float] = {}
    try:
        await conn.execute(
            """INSERT INTO shops (id, domain, scopes, installed_at, timezone, currency, locale)
               VALUES (1, 'bench-winback-0.myshopify.com', 'read_orders', now(), 'UTC', 'EUR',
                       'en'),
                      (2, 'bench-winback-1.myshopify.com', 'read_orders', now(), 'UTC', 'EUR',
                       'en')"""
        )
        started = time.perf_counter()
        customer_rows, order_rows = customers_and_orders(customers, orders)
        timings["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "customers",
            records=customer_rows,
            columns=[
                "id",
                "shop_id",
                "shopify_id",
                "email",
                "email_marketing_state",
                "redacted_at",
                "tags",
                "orders_count",
                "total_spent",
            ],
        )
        await conn.copy_records_to_table(
            "orders",
            records=order_rows,
            columns=["id", "shop_id", "shopify_id", "customer_id", "placed_at", "cancelled_at"],
        )
        # The small shop: 1,000 customers with an old order each (never selected for shop 1).
        await conn.execute(
            """INSERT INTO customers (id, shop_id, shopify_id, email, email_marketing_state,
                                      tags, orders_count, total_spent)
               SELECT $1::bigint + g, 2, g, 'other' || g || '@bench.test', 'subscribed',
                      '{}', 0, 0
               FROM generate_series(1, 1000) g""",
            customers,
        )
        await conn.execute(
            """INSERT INTO orders (id, shop_id, shopify_id, customer_id, placed_at)
               SELECT $1::bigint + g, 2, g, $2::bigint + g, now() - interval '200 days'
               FROM generate_series(1, 1000) g""",
            orders,
            customers,
        )
        await conn.execute("SELECT setval('customers_id_seq', (SELECT max(id) FROM customers))")
        await conn.execute("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
        # Win-backs already sent: 5,000 within the cooldown, 5,000 before it.
        await conn.execute(
            """INSERT INTO scenario_runs (shop_id, scenario, subject_key, customer_id, status,
                                          step_index, anchor_at, started_at, issued_codes)
               SELECT 1, $1, c || ':' || g, c, 'completed', 2, now() - (d || ' days')::interval,
                      $2::timestamptz - (d || ' days')::interval, '{}'
               FROM (SELECT g, (g * 29) % $3 + 1 AS c, CASE WHEN g % 2 = 0 THEN 60 ELSE 300 END
                            AS d
                     FROM generate_series(1, 10000) g) AS runs""",
            KEY,
            NOW,
            customers,
        )
        timings["copy_s"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute(REBUILD_ALL)
        timings["stats_backfill_s"] = time.perf_counter() - started
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return timings


async def refresh_cost(url: str, customers: int, samples: int = 1000) -> float:
    """Mean ms of one customer's stats refresh (what each new or cancelled order adds)."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rng = random.Random(SEED + 1)
    try:
        async with sessions() as session, session.begin():
            started = time.perf_counter()
            for _ in range(samples):
                await refresh_customer_order_stats(session, 1, rng.randrange(1, customers + 1))
            elapsed = time.perf_counter() - started
            await session.rollback()
    finally:
        await engine.dispose()
    return elapsed / samples * 1000


async def selection(url: str, page_size: int, rounds: int) -> tuple[list[float], int, int, str]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rule = WinbackSettings().lapse_rule
    times: list[float] = []
    selected = pages = 0
    try:
        for _ in range(rounds):
            selected = pages = 0
            async with sessions() as session, session.begin():
                started = time.perf_counter()
                async for page in lapsed_customers(
                    session, 1, rule=rule, now=NOW, page_size=page_size
                ):
                    selected += len(page)
                    pages += 1
                times.append(time.perf_counter() - started)
        async with sessions() as session, session.begin():
            explain = text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + _LAPSED_PAGE.text)
            plan = "\n".join(
                row[0]
                for row in await session.execute(
                    explain,
                    lapsed_page_parameters(1, after_id=0, rule=rule, now=NOW, limit=page_size),
                )
            )
    finally:
        await engine.dispose()
    return times, selected, pages, plan


def _append(report: str) -> None:
    results = Path(__file__).resolve().parent.parent / "RESULTS.md"
    with results.open("a") as out:
        out.write(report + "\n")


async def main(customers: int, orders: int, page_size: int, rounds: int) -> None:
    url = await build_database()
    timings = await seed(url, customers, orders)
    refresh_ms = await refresh_cost(url, customers)
    times, selected, pages, plan = await selection(url, page_size, rounds)
    median = statistics.median(times)
    goal = "meets" if median <= 2.0 else "misses"
    lines = [
        "",
        f"## Win-back selection — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}; PostgreSQL shared with the other work on it.",
        f"Data: one shop with {customers:,} customers and {orders:,} orders (COPY), a second "
        "shop with 1,000; 10,000 earlier win-back runs (half within the 180-day cooldown).",
        f"Load: generate {timings['generate_s']:.1f} s, COPY {timings['copy_s']:.1f} s; "
        f"customer_order_stats backfill (the migration's) {timings['stats_backfill_s']:.1f} s; "
        f"one customer's stats refresh (added to each new or cancelled order) "
        f"{refresh_ms:.2f} ms mean over 1,000.",
        "",
        f"Whole selection (default rule: 90 days, 2 × median for ≥ 3 orders but not before "
        f"14 days, consent, not erased, no win-back in 180 days), pages of {page_size:,}: "
        f"{selected:,} customers in "
        f"{pages} pages; {rounds} rounds: "
        + ", ".join(f"{t * 1000:.0f} ms" for t in times)
        + f"; median **{median * 1000:.0f} ms** ({goal} the goal of ≤ 2 s).",
        "",
        "Plan of the first page:",
        "",
        "```",
        plan,
        "```",
    ]
    report = "\n".join(lines)
    print(report)
    await asyncio.to_thread(_append, report)
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=300_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.customers, args.orders, args.page_size, args.rounds))
