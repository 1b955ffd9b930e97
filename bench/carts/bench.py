"""Cart benchmark. A scratch database with 100 shops and N checkouts (1,000,000 by default) for
one of them, each with its abandoned-cart run (most finished, some waiting, some due):
1. the cron scan that finds due steps: its plan (it must use ix_scenario_runs_due) and its time
   per batch of 1,000;
2. M due reminders (10,000 by default) processed end to end by 2 `boomerang worker` processes:
   live re-check, a code from the pool, the email rendered into the outbox, then sent over SMTP
   to a sink on loopback. Shopify is the simulator, served on loopback in this process.
Prints the figures and appends them to bench/RESULTS.md."""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text

from app.codes.issuing import offer_for, pool_key
from app.codes.pools import ensure_pool, refill_pool
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.platform.composition import PLATFORM
from app.platform.resources import build_resources
from app.scenarios.config import DiscountSettings
from app.scenarios.runs import ScanPosition, due_steps
from app.scenarios.scheduling import schedule
from app.settings import Settings
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef
from app.shopify.token_cipher import TokenCipher
from devstore import SimulatorConfig, create_simulator

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
DB = "boomerang_bench_carts"
API_KEY = "bench-carts-client-id-0123456789abcdef"
API_SECRET = "bench-carts-client-secret-0123456789abcdef-0123"  # noqa: S105  (bench only)
FERNET = base64.urlsafe_b64encode(b"b" * 32).decode()
SHOP = "bench-carts-0.myshopify.com"


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()}"


async def build_database(checkouts: int, reminders: int) -> str:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DB}"')
    await admin.close()
    url = f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
    await asyncio.to_thread(upgrade, url)
    return url


SEED_SQL = [
    # 100 shops; shop 1 is the big one (and the simulator's).
    """INSERT INTO shops (domain, scopes, installed_at, timezone, currency, locale, name)
       SELECT 'bench-carts-' || (g - 1) || '.myshopify.com', 'write_discounts', now(), 'UTC',
              'EUR', 'en', 'Bench ' || g
       FROM generate_series(1, 100) g""",
    # One customer per checkout of shop 1 (all subscribed), plus 1,000 for each other shop.
    """INSERT INTO customers (shop_id, shopify_id, email, first_name, locale,
                              email_marketing_state, tags, orders_count, total_spent)
       SELECT 1, g, 'shopper' || g || '@bench.test', 'Shopper', 'en', 'subscribed', '{}', 0, 0
       FROM generate_series(1, :checkouts) g""",
    """INSERT INTO customers (shop_id, shopify_id, email, first_name, locale,
                              email_marketing_state, tags, orders_count, total_spent)
       SELECT s, g, 'shopper' || g || '@shop' || s || '.test', 'Shopper', 'en', 'subscribed',
              '{}', 0, 0
       FROM generate_series(2, 100) s, generate_series(1, 1000) g""",
    """INSERT INTO checkouts (shop_id, token, cart_token, customer_id, email, line_items,
                              subtotal_price, total_price, currency, locale,
                              abandoned_checkout_url, shopify_created_at, shopify_updated_at)
       SELECT c.shop_id, 'tok-' || c.shop_id || '-' || c.shopify_id, 'cart-' || c.id, c.id,
              c.email,
              '[{"title": "IPod Nano - 8GB", "variant_title": "Pink", "quantity": 1,
                 "price": "199.00", "product_id": 632910392, "variant_id": 808950810}]',
              199, 199, 'EUR', 'en',
              'https://' || s.domain || '/checkouts/tok-' || c.id || '/recover?key=k',
              now() - interval '3 days', now() - interval '3 days'
       FROM customers c JOIN shops s ON s.id = c.shop_id""",
    # Every checkout has its run: finished long ago, waiting (due in hours), or due now. The
    # due ones of shop 1 are the reminders the workers process; elsewhere none are due.
    """INSERT INTO scenario_runs (shop_id, scenario, subject_key, customer_id, email, status,
                                  step_index, anchor_at, next_step_at, started_at, issued_codes,
                                  stop_reason, finished_at)
       SELECT k.shop_id, 'abandoned_cart', k.token, k.customer_id, k.email,
              CASE WHEN k.rn <= :reminders AND k.shop_id = 1 THEN 'active'
                   WHEN k.rn % 10 = 0 THEN 'active'
                   ELSE 'stopped' END,
              1, now() - interval '2 days',
              CASE WHEN k.rn <= :reminders AND k.shop_id = 1 THEN now() - interval '1 minute'
                   WHEN k.rn % 10 = 0 THEN now() + interval '6 hours'
                   ELSE NULL END,
              now() - interval '2 days', '{}',
              CASE WHEN k.rn <= :reminders AND k.shop_id = 1 OR k.rn % 10 = 0 THEN NULL
                   ELSE 'order_placed_for_checkout' END,
              CASE WHEN k.rn <= :reminders AND k.shop_id = 1 OR k.rn % 10 = 0 THEN NULL
                   ELSE now() - interval '1 day' END
       FROM (SELECT ch.*, row_number() OVER (PARTITION BY ch.shop_id ORDER BY ch.id) rn
             FROM checkouts ch) k""",
    # Reminders as they are in production: no quiet hours, the default frequency cap.
    """INSERT INTO messaging_settings (shop_id, paused, max_per_day, max_per_week,
                                       quiet_start, quiet_end)
       SELECT id, false, 1, 3, '00:00', '00:00' FROM shops""",
    "ANALYZE",
]


async def seed(url: str, checkouts: int, reminders: int, access_token: str) -> float:
    engine = create_engine(url, pool_size=2)
    started = time.perf_counter()
    async with engine.begin() as conn:
        for statement in SEED_SQL:
            params = {"checkouts": checkouts, "reminders": reminders}
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            await conn.execute(text(statement), used)
        token = TokenCipher([FERNET]).encrypt(access_token)
        await conn.execute(
            text(
                "UPDATE shops SET access_token_encrypted = :t, "
                "access_token_expires_at = now() + interval '1 day' WHERE id = 1"
            ),
            {"t": token},
        )
    await engine.dispose()
    vacuum = await asyncpg.connect(url.replace("+asyncpg", ""))
    await vacuum.execute("VACUUM ANALYZE")
    await vacuum.close()
    return time.perf_counter() - started


async def measure_scan(url: str, batches: int) -> tuple[str, float, list[float]]:
    engine = create_engine(url, pool_size=2)
    sessions = PLATFORM.sessionmaker(engine)
    async with engine.connect() as conn:
        plan = "\n".join(
            row[0]
            for row in await conn.execute(
                text(
                    "EXPLAIN (ANALYZE, BUFFERS) SELECT id, step_index, next_step_at "
                    "FROM scenario_runs WHERE status = 'active' AND next_step_at <= now() "
                    "ORDER BY next_step_at, id LIMIT 1000"
                )
            )
        )
    # A fresh process's first use of each of the scan's two statements (the first page, and
    # the pages after a position) also compiles it and prepares it on its connection:
    # reported apart; the cron scan runs in a long-lived worker.
    t0 = time.perf_counter()
    async with sessions.begin() as session:
        warm = await due_steps(session, datetime.now(UTC), limit=1000)
        await due_steps(
            session, datetime.now(UTC), limit=1000, after=ScanPosition(warm[0].due_at, 0)
        )
    first = (time.perf_counter() - t0) * 1000
    # Then what the cron scan does: walk every due page (keyset on due time and id), `batches`
    # times over. This process's own heap (the simulator, the seed) is frozen first: a full
    # collection of it landing inside one page cost ~75 ms here and measured the bench, not
    # the query.
    gc.collect()
    gc.freeze()
    timings = []
    for _ in range(batches):
        after: ScanPosition | None = None
        while True:
            t0 = time.perf_counter()
            async with sessions.begin() as session:
                page = await due_steps(session, datetime.now(UTC), limit=1000, after=after)
            timings.append((time.perf_counter() - t0) * 1000)
            if len(page) < 1000:
                break
            after = ScanPosition(page[-1].due_at, page[-1].run_id)
        assert timings, "no due step found"
    await engine.dispose()
    return plan, first, timings


async def wait_messages(url: str, target: int, limit: float) -> tuple[float, int, int]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    started = time.perf_counter()
    queued_at: float | None = None
    try:
        while time.perf_counter() - started < limit:
            done = await conn.fetchval("SELECT count(*) FROM messages")
            if done >= target and queued_at is None:
                queued_at = time.perf_counter() - started
            sent = await conn.fetchval("SELECT count(*) FROM messages WHERE status = 'sent'")
            if sent >= target:
                return queued_at or 0.0, done, sent
            await asyncio.sleep(0.5)
        done = await conn.fetchval("SELECT count(*) FROM messages")
        sent = await conn.fetchval("SELECT count(*) FROM messages WHERE status = 'sent'")
        return queued_at or float("nan"), done, sent
    finally:
        await conn.close()


async def main(checkouts: int, reminders: int, batches: int) -> None:
    config = SimulatorConfig(api_key=API_KEY, api_secret=API_SECRET)
    config.bulk_code_creation_delay = 0.0
    _, sim = create_simulator(config)
    sim.add_shop("bench-carts-0", plan="plus", currency="EUR", iana_timezone="UTC")
    tokens = sim.install("bench-carts-0")
    sink = Sink()
    smtp_port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    redis = Redis.from_url(REDIS)
    await redis.flushdb()
    print(f"== carts benchmark · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()}")
    async with sim.serve() as sim_url:
        url = await build_database(checkouts, reminders)
        seconds = await seed(url, checkouts, reminders, tokens.access_token)
        print(
            f"seeded 100 shops, {checkouts:,} checkouts for one shop (+99,000 elsewhere) "
            f"with their runs in {seconds:.0f} s"
        )
        plan, first, timings = await measure_scan(url, batches)
        print("due-step scan plan:\n" + "\n".join("  " + line for line in plan.splitlines()))
        print(
            f"scan, page of 1,000: median {statistics.median(timings):.1f} ms, "
            f"p95 {_p95(timings):.1f} ms, max {max(timings):.1f} ms over {len(timings)} pages "
            f"({batches} full walks); the process's first calls {first:.1f} ms"
        )

        settings = Settings(
            shopify_api_key=API_KEY,
            shopify_api_secret=SecretStr(API_SECRET),
            token_encryption_keys=SecretStr(FERNET),
            database_url=url,
            redis_url=REDIS,
            shopify_admin_url_template=f"{sim_url}/{{shop}}",
            smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp_port}"),
            app_url="http://127.0.0.1:8000",
        )
        # The pool the reminders draw from, filled before the clock starts.
        discount = DiscountSettings()
        resources = await build_resources(settings)
        t0 = time.perf_counter()
        ref = await ensure_pool(
            resources.sessions,
            discount_gateway(resources),
            ShopRef(1, SHOP),
            scenario=pool_key("abandoned_cart", discount),
            offer=offer_for(discount, "Boomerang abandoned cart"),
            prefix="COMEBACK",
            target_size=reminders + 500,
            low_watermark=200,
        )
        report = await refill_pool(
            resources.sessions, discount_gateway(resources), ShopRef(1, SHOP), ref.id
        )
        print(
            f"pool filled: {report.imported:,} codes imported at Shopify "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        await resources.close()

        env = {
            **os.environ,
            "SHOPIFY_API_KEY": API_KEY,
            "SHOPIFY_API_SECRET": API_SECRET,
            "TOKEN_ENCRYPTION_KEYS": FERNET,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS,
            "SHOPIFY_ADMIN_URL_TEMPLATE": f"{sim_url}/{{shop}}",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "LOG_LEVEL": "WARNING",
        }
        workers = [
            subprocess.Popen(  # noqa: ASYNC220  (started once, before the clock)
                [sys.executable, "-m", "app.cli", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            resources = await build_resources(settings)
            started = time.perf_counter()
            # What the cron scan does every few seconds, in one go: find the due steps and
            # queue their jobs (the workers' own scans find the same ids and add nothing).
            async with resources.sessions.begin() as session:
                steps = await due_steps(session, datetime.now(UTC), limit=reminders)
            enqueued = await schedule(resources.queue, steps)
            await resources.close()
            print(f"{enqueued:,} due steps queued in {time.perf_counter() - started:.1f} s")
            queued_after, in_outbox, sent = await wait_messages(url, reminders, limit=900)
            total = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(20)
    controller.stop()
    await redis.aclose()
    rate = in_outbox / queued_after if queued_after else float("nan")
    print(
        f"end to end with 2 workers: {in_outbox:,} reminders in the outbox after "
        f"{queued_after:.1f} s ({rate:.0f} messages/s); {sent:,} sent over SMTP after "
        f"{total:.1f} s ({sent / total:.0f}/s); SMTP sink received {sink.count:,}"
    )
    codes = await _distinct_codes(url)
    print(f"codes handed out: {codes[0]:,}, distinct: {codes[1]:,}")
    _record(checkouts, reminders, plan, first, timings, in_outbox, queued_after, sent, total, codes)


async def _distinct_codes(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT context->>'discount_code') AS d FROM messages"
        )
        return (int(row["n"]), int(row["d"])) if row else (0, 0)
    finally:
        await conn.close()


def _record(
    checkouts: int,
    reminders: int,
    plan: str,
    first: float,
    timings: list[float],
    in_outbox: int,
    queued_after: float,
    sent: int,
    total: float,
    codes: tuple[int, int],
) -> None:
    results = Path(__file__).resolve().parent.parent / "RESULTS.md"
    text_block = f"""
## carts — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC

`./bench/carts/run --checkouts {checkouts} --reminders {reminders}`. Machine: {machine()}.
100 shops; {checkouts:,} checkouts and runs for one shop, 1,000 for each of the 99 others.

Due-step scan (`app/scenarios/runs.py: due_steps`, the cron scan's keyset walk over every due
page of 1,000): median {statistics.median(timings):.1f} ms, p95 {_p95(timings):.1f} ms, max
{max(timings):.1f} ms over {len(timings)} pages (goal ≤ 50 ms). The process's first use of the
scan's two statements (first page; pages after a position), which also compiles and prepares
them: {first:.1f} ms for both. Plan of the first page:

```
{plan}
```

End to end, 2 `boomerang worker` processes (10 jobs each): {in_outbox:,} reminders re-checked,
given a pool code and rendered into the outbox in {queued_after:.1f} s
(**{in_outbox / queued_after:.0f} messages/s**); {sent:,} sent over SMTP to a loopback sink
{total:.1f} s after the first enqueue ({sent / total:.0f}/s). Codes handed out {codes[0]:,},
distinct {codes[1]:,}.
"""
    with results.open("a") as out:
        out.write(text_block)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkouts", type=int, default=1_000_000)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(main(args.checkouts, args.reminders, args.batches))
