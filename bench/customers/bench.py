"""Customer index benchmark. A scratch database with one big shop (100,000 customers by
default, bulk-loaded with COPY: names drawn from common first and last names, emails on a
handful of domains, 60 % subscribed, orders and amounts spread, 3 % in a running sequence,
25 % with a loyalty tier) and a second shop of 20,000 beside it, then every way the merchant
reads the index, through app.customers.directory (the query GET /api/customers runs):

- the first page of each sort, both directions, and 40 pages deep along each sort's cursor;
- searches: a common name, a name and surname, part of an email, a whole email, a word
  matching nobody, a single letter;
- filters alone (subscribed, running sequence, tier) and with a search.

Each is timed `--repeat` times (20); p50 and p95 per case and over all, with the plan of the
slowest cases. Goal: p95 ≤ 100 ms. Prints the figures and appends them to bench/RESULTS.md
(not with --no-write)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.customers import directory
from app.customers.directory import Direction, Filters, Position, Sort
from app.db.engine import create_engine, create_sessionmaker
from app.db.migrate import upgrade
from bench.winback.bench import machine

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
DB = "boomerang_bench_customers"
SEED = 18
GOAL_MS = 100.0

FIRST = [
    "Camille",
    "Lea",
    "Manon",
    "Chloe",
    "Ines",
    "Jade",
    "Louise",
    "Emma",
    "Alice",
    "Lina",
    "Hugo",
    "Lucas",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Raphael",
    "Noah",
    "Paul",
    "Marie",
    "Sofia",
    "Olivia",
    "Mia",
    "Liam",
    "Ethan",
    "Maya",
    "Zoe",
    "Nora",
    "Sam",
]
LAST = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Nguyen",
    "Kowalski",
    "Rossi",
]
DOMAINS = ["gmail.com", "yahoo.fr", "orange.fr", "outlook.com", "icloud.com", "proton.me"]
TIERS = ["silver", "gold", "platinum"]


def customer_rows(
    shop_id: int, count: int, first_id: int, rng: random.Random
) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for n in range(count):
        first = rng.choice(FIRST) if rng.random() > 0.03 else None
        last = rng.choice(LAST) if rng.random() > 0.05 else None
        email = f"{(first or 'client').lower()}.{(last or 'x').lower()}{n}@{rng.choice(DOMAINS)}"
        orders = min(int(rng.expovariate(0.5)), 60)
        rows.append(
            (
                first_id + n,
                shop_id,
                10_000_000 + first_id + n,
                email if rng.random() > 0.01 else None,
                first,
                last,
                "subscribed" if rng.random() < 0.6 else "not_subscribed",
                [],
                orders,
                round(orders * rng.uniform(15, 120), 2),
            )
        )
    return rows


async def build(customers: int, others: int) -> str:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    url = f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(f"{SERVER}/{DB}")
    rng = random.Random(SEED)
    try:
        await conn.execute(
            """INSERT INTO shops (id, domain, scopes, installed_at, timezone, currency, locale)
               VALUES (1, 'bench-customers-0.myshopify.com', '', now(), 'UTC', 'EUR', 'en'),
                      (2, 'bench-customers-1.myshopify.com', '', now(), 'UTC', 'EUR', 'en')"""
        )
        columns = [
            "id",
            "shop_id",
            "shopify_id",
            "email",
            "first_name",
            "last_name",
            "email_marketing_state",
            "tags",
            "orders_count",
            "total_spent",
        ]
        for shop_id, count, first_id in ((1, customers, 1), (2, others, customers + 1)):
            await conn.copy_records_to_table(
                "customers", records=customer_rows(shop_id, count, first_id, rng), columns=columns
            )
        await conn.execute("SELECT setval('customers_id_seq', (SELECT max(id) FROM customers))")
        await conn.execute(
            """INSERT INTO scenario_runs (shop_id, scenario, subject_key, customer_id, status,
                                          step_index, anchor_at, issued_codes)
               SELECT 1, 'abandoned_cart', 'cart-' || c, c,
                      CASE WHEN c % 3 = 0 THEN 'active' ELSE 'stopped' END, 0, now(), '{}'
               FROM generate_series(1, $1::int) c WHERE c % 11 = 0""",
            customers,
        )
        await conn.execute(
            """INSERT INTO loyalty_accounts (shop_id, customer_id, balance, pending, tier)
               SELECT 1, c, (c * 7) % 2000, 0, ($2::text[])[1 + c % 3]
               FROM generate_series(1, $1::int) c WHERE c % 4 = 0""",
            customers,
            TIERS,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return url


Case = Callable[[AsyncSession], Awaitable[Any]]


def cases() -> dict[str, tuple[Filters, Sort, Direction]]:
    found: dict[str, tuple[Filters, Sort, Direction]] = {}
    for sort in directory.SORTS:
        for direction in directory.DIRECTIONS:
            found[f"first page, {sort} {direction}"] = (Filters(), sort, direction)
    for name, search in {
        "search a common first name (camille)": "camille",
        "search first and last name (camille martin)": "camille martin",
        "search part of an email (@proton)": "@proton",
        "search a whole email": "camille.martin30@gmail.com",
        "search matching nobody (zzzq)": "zzzq",
        "search one letter (a)": "a",
    }.items():
        found[name] = (Filters(search=search), "created", "desc")
    found["filter subscribed"] = (Filters(subscribed=True), "created", "desc")
    found["filter running sequence"] = (Filters(open_run=True), "created", "desc")
    found["filter running sequence, by name"] = (Filters(open_run=True), "name", "asc")
    found["filter tier gold, most spent"] = (Filters(tier="gold"), "spent", "desc")
    found["search (martin) + subscribed + tier"] = (
        Filters(search="martin", subscribed=True, tier="platinum"),
        "name",
        "asc",
    )
    return found


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def measure(
    sessions: async_sessionmaker[AsyncSession], repeat: int, depth: int
) -> tuple[dict[str, list[float]], dict[str, str]]:
    results: dict[str, list[float]] = {}
    plans: dict[str, str] = {}
    for name, (filters, sort, direction) in cases().items():

        async def first_page(
            f: Filters = filters, s: Sort = sort, d: Direction = direction
        ) -> None:
            async with sessions() as session, session.begin():
                await directory.find(session, 1, f, sort=s, direction=d)

        await first_page()  # warm the caches and the statement cache
        results[name] = await timed(first_page, repeat)
        plans[name] = await plan(sessions, filters, sort, direction, None)
    # Deep pages: follow the cursor `depth` pages, timing each page.
    for sort in directory.SORTS:
        name = f"pages 2–{depth + 1}, {sort} asc"
        times: list[float] = []
        after: Position | None = None
        for _ in range(depth):
            async with sessions() as session, session.begin():
                started = time.perf_counter()
                page = await directory.find(
                    session,
                    1,
                    Filters(),
                    sort=sort,
                    direction="asc",
                    after=after,
                )
                times.append((time.perf_counter() - started) * 1000)
            assert page.next_cursor is not None
            after = directory.decode_cursor(page.next_cursor, sort, "asc")
        results[name] = times
        plans[name] = await plan(sessions, Filters(), sort, "asc", after)
    return results, plans


async def plan(
    sessions: async_sessionmaker[AsyncSession],
    filters: Filters,
    sort: Sort,
    direction: Direction,
    after: Position | None,
) -> str:
    """EXPLAIN ANALYZE of the page statement, its parameters inlined."""
    statement = directory.page_statement(1, filters, sort=sort, direction=direction, after=after)
    sql = str(
        statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    async with sessions() as session, session.begin():
        driver = await (await session.connection()).get_raw_connection()
        rows = await driver.driver_connection.fetch(  # type: ignore[union-attr]
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql
        )
    return "\n".join(r[0] for r in rows)


def _append(report: str) -> None:
    with (Path(__file__).resolve().parent.parent / "RESULTS.md").open("a") as out:
        out.write(report + "\n")


async def main(customers: int, others: int, repeat: int, depth: int, write: bool) -> None:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    url = await build(customers, others)
    built = time.perf_counter() - started
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        results, plans = await measure(sessions, repeat, depth)
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(f"{SERVER}/postgres")
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.close()
    every = [t for times in results.values() for t in times]
    overall = p95(every)
    lines = [
        "",
        f"## Customer index — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}; PostgreSQL shared with the other work on it. Load average "
        f"{load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end.",
        f"Data: one shop with {customers:,} customers (3 % in a running sequence, 25 % with a "
        f"loyalty tier), a second with {others:,}; built and migrated in {built:.0f} s. Each "
        f"case {repeat} times through app.customers.directory.find (a page of 25); deep pages "
        f"follow the cursor {depth} pages.",
        "",
        "| case | p50 ms | p95 ms |",
        "| --- | --- | --- |",
    ]
    for name, times in results.items():
        lines.append(f"| {name} | {statistics.median(times):.1f} | {p95(times):.1f} |")
    verdict = "meets" if overall <= GOAL_MS else "misses"
    lines += [
        "",
        f"Over every case: p50 **{statistics.median(every):.1f} ms**, p95 **{overall:.1f} ms** "
        f"({verdict} the {GOAL_MS:.0f} ms goal).",
    ]
    slowest = sorted(results, key=lambda n: p95(results[n]), reverse=True)[:3]
    for name in slowest:
        lines += ["", f"Plan, {name}:", "", "```", plans[name], "```"]
    report = "\n".join(lines)
    print(report)
    if write:
        _append(report)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.customers, args.others, args.repeat, args.depth, not args.no_write))
