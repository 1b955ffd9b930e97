"""Loyalty benchmark: paid orders, end to end, to ledger rows and queued metafield writes.

1. A fresh database with one shop whose loyalty program is on (1 point per 1 of currency),
   and win-back paused (--winback-live leaves it on): the members' orders come seconds apart
   here, and its "2x the median interval" rule would find them lapsed seconds later.
2. `boomerang serve` and 2 `boomerang worker` processes (each its own process, as deployed).
3. An open-loop client sends N signed orders/paid deliveries (Shopify's fixture, each with its
   own order and line item ids, for C customers: N / C orders each) at `--rate` per second.
4. Waits until every order has its `earn` ledger row, then reads:
   - orders/s: N over the span from the first delivery received to the last earn written;
   - p50 / p99 from webhook to ledger: each order's earn `created_at` minus its delivery's
     `received_at`;
   - worker CPU per order (user + system of the 2 worker processes over the run) and the
     PostgreSQL backends' CPU per order, read when the last earn is written; and read again
     once the queue holds no job due within the next few seconds (the work the orders caused
     after their earn: notices, emails, Shopify sync requests), the "drained" figures;
   - queued metafield writes: the `$app:loyalty` values waiting in the shop's Redis hash (the
     flush is pushed a day away, so they stay queued and are counted, not sent);
   - every other process's CPU per order over the same span (`boomerang serve`, Redis from
     its INFO, this bench's own process, the sender), next to what the rate allows on this
     machine's cores (2 cores at 300/s: 6.67 ms per order for everything);
   - `boomerang loyalty verify` (its own process) over the result: its time and verdict;
   - the load average at the start and at the end (the machine is shared).
   Every 5 s while the orders come in, the tables autovacuum would analyze then (its rule:
   50 rows + 10 % changed) are ANALYZEd (--autoanalyze, 0 to leave it
   out), standing for autovacuum, which a production server runs and this machine's
   PostgreSQL has off (the pipeline bench's reason).

Prints the figures and appends them to bench/RESULTS.md (unless --no-write)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httptools
import httpx
from redis.asyncio import Redis

from bench.pipeline.bench import (
    FERNET,
    ROOT,
    autoanalyze,
    backend_cpu,
    cpu_seconds,
    drop_database,
    free_port,
    machine,
    process_cpu,
    start,
    stop,
)
from bench.pipeline.bench import SERVER as PG_SERVER

FIXTURE = ROOT.parent / "shared" / "fixtures" / "orders_paid.json"
SHOP = "bench-loyalty.myshopify.com"
SECRET = "bench-loyalty-client-secret-0123456789abcdef-012345"  # noqa: S105  (bench only)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")


def worker_cpu(workers: list[subprocess.Popen[bytes]]) -> float:
    """CPU seconds so far of the worker processes, and of their children when py-spy runs
    them (the worker is then py-spy's child)."""
    total = cpu_seconds(workers)
    for worker in workers:
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
        if children.exists():
            for pid in children.read_text().split():
                try:
                    total += process_cpu(int(pid))
                except OSError:
                    continue
    return total


async def redis_cpu(redis: Redis) -> float:
    """CPU seconds so far of the Redis server (its own INFO: user + system, every thread)."""
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def own_cpu() -> float:
    """CPU seconds so far of this process: the sender (signing and POSTing every delivery)
    and the polls of the database."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def sign(body: bytes) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


class Orders:
    """The n-th orders/paid body, built when sent (200,000 bodies held at once would take
    gigabytes): Shopify's sample with its own order, line item ids and number, paid now, and
    customer n % customers (with that customer's email)."""

    def __init__(self, customers: int) -> None:
        self.fixture: dict[str, Any] = json.loads(FIXTURE.read_text())
        self.customers = customers

    def body(self, n: int) -> bytes:
        order = self.fixture
        # Paid now, as a live shop's orders are (the fixture's dates are years old: its
        # customers would look lapsed to win-back's selection, which is not what is measured).
        moment = datetime.now(UTC).isoformat()
        for key in ("created_at", "updated_at", "processed_at"):
            order[key] = moment
        c = n % self.customers
        order["id"] = 7_000_000_000 + n
        order["name"] = f"#L{n}"
        order["order_number"] = order["number"] = 10_000 + n
        order["email"] = order["contact_email"] = f"member{c}@bench.test"
        order["checkout_token"] = f"bench-loyalty-{n:09d}"
        order["token"] = uuid.uuid4().hex
        customer = order.get("customer")
        if isinstance(customer, dict):
            customer["id"] = 8_000_000_000 + c
            customer["email"] = f"member{c}@bench.test"
        for k, line in enumerate(order.get("line_items") or []):
            line["id"] = 9_000_000_000 + n * 100 + k
        return json.dumps(order).encode()


async def create_database(name: str, *, winback_live: bool = False) -> tuple[str, int]:
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    from app.db.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(f"{PG_SERVER}/{name}")
    shop_id = await conn.fetchval(
        "INSERT INTO shops (domain, scopes, installed_at, timezone, currency, locale, name) "
        "VALUES ($1, 'read_orders', now(), 'UTC', 'USD', 'en', 'Bench') RETURNING id",
        SHOP,
    )
    await conn.execute(
        "INSERT INTO loyalty_programs (shop_id, settings, created_at, updated_at) "
        "VALUES ($1, $2::jsonb, now(), now())",
        shop_id,
        json.dumps({"enabled": True, "per_currency": {"enabled": True, "points": "1"}}),
    )
    # Paused unless --winback-live (stored either way: paused is win-back's default since
    # 2026-12-06, live was before). A member's orders come seconds apart here, not weeks:
    # win-back's "2x their median interval" then finds each member lapsed seconds after their
    # last order, and its walk and steps (codes, emails) ran through the run, a cost of the
    # compressed time, not of loyalty (py-spy, 2026-12-05 20:55: a tenth of the workers' busy
    # samples).
    await conn.execute(
        "INSERT INTO scenario_settings (shop_id, scenario, mode, transactional, options)"
        " VALUES ($1, 'winback', $2, false, '{}'::jsonb)",
        shop_id,
        "live" if winback_live else "paused",
    )
    await conn.close()
    return url, int(shop_id)


# Jobs due this soon count as work still to do: a customer's notices job waits up to 5 s
# (app/loyalty/jobs.py). Later ones (the metafield flush a day away, a paced digest) do not.
DUE_WITHIN_MS = 6000


async def drained(redis: Redis, deadline: float) -> float:
    """Wait until the queue holds no job due within DUE_WITHIN_MS (arq keeps a running job
    in its queue; a shop's due jobs wait in the fair-scheduling list); the seconds it took."""
    started = time.monotonic()
    while True:
        now_ms = int(time.time() * 1000)
        due = await redis.zcount("boomerang:queue", "-inf", now_ms + DUE_WITHIN_MS)
        due += await redis.hlen("boomerang:fair:jobs")  # type: ignore[misc]
        if due == 0:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise SystemExit(f"{due} jobs still due at the deadline")
        await asyncio.sleep(0.25)


async def wait_http(client: httpx.AsyncClient, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            await client.get("/healthz")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"boomerang serve did not start; see {log}") from None
            await asyncio.sleep(0.2)


class _Answer:
    """httptools' callbacks for one response: done once the whole message is read."""

    def __init__(self) -> None:
        self.done = False

    def on_message_complete(self) -> None:
        self.done = True


class Poster:
    """One keep-alive HTTP/1.1 connection to `boomerang serve` that POSTs ready-made
    requests and reads each answer's status with httptools (uvicorn's own parser). The
    sender stands in for Shopify, which does not run on the merchant's app's machine: httpx
    cost about 2.9 ms of this process's CPU per delivery, taken from the 2 cores the app
    shares (2026-12-05 21:27); this costs a fraction of it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request)
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        while not answer.done:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("boomerang serve closed the connection")
            parser.feed_data(data)
        if not parser.should_keep_alive():
            self.close()
        return int(parser.get_status_code())

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def request(port: int, n: int, body: bytes) -> bytes:
    headers = {
        "Host": f"127.0.0.1:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "X-Shopify-Topic": "orders/paid",
        "X-Shopify-Hmac-Sha256": sign(body),
        "X-Shopify-Shop-Domain": SHOP,
        "X-Shopify-Webhook-Id": f"bench-loyalty-{n}",
        "X-Shopify-Event-Id": f"event-{n}",
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /webhooks HTTP/1.1\r\n{head}\r\n".encode() + body


async def send(
    port: int, orders: Orders, count: int, rate: float, retried: dict[str, int]
) -> float:
    """Open loop: delivery n is due at start + n / rate; 32 senders, each on a keep-alive
    connection of its own, take the next due one. Returns the seconds it took; `retried`
    counts the deliveries sent again, by answer."""
    started = time.perf_counter()
    next_n = 0

    async def sender() -> None:
        nonlocal next_n
        poster = Poster(port)
        try:
            while next_n < count:
                n = next_n
                next_n += 1
                due = started + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                ready = request(port, n, orders.body(n))
                # As Shopify does: a delivery not answered 200 (a timeout on a loaded machine)
                # is sent again, with the same webhook id, after a while.
                for attempt in range(1, 9):
                    try:
                        async with asyncio.timeout(60):
                            status: int | str = await poster.post(ready)
                    except (OSError, TimeoutError, httptools.HttpParserError) as exc:
                        poster.close()
                        status = type(exc).__name__
                    if status == 200:
                        break
                    retried[str(status)] = retried.get(str(status), 0) + 1
                    await asyncio.sleep(attempt)
                else:
                    raise SystemExit(f"delivery {n}: {status} eight times")
        finally:
            poster.close()

    await asyncio.gather(*(sender() for _ in range(32)))
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    load_start = os.getloadavg()
    print(f"== loyalty benchmark · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · load {load_start}")
    logdir = Path(tempfile.mkdtemp(prefix="bench-loyalty-"))
    name = f"boomerang_bench_loyalty_{uuid.uuid4().hex[:6]}"
    url, shop_id = await create_database(name, winback_live=args.winback_live)
    env = {
        **os.environ,
        "SHOPIFY_API_KEY": "bench-loyalty",
        "SHOPIFY_API_SECRET": SECRET,
        "TOKEN_ENCRYPTION_KEYS": FERNET,
        "REDIS_URL": REDIS,
        "DATABASE_URL": url,
        "LOG_LEVEL": args.log_level,
        # The metafield flush a day away: the writes stay queued in Redis, counted below.
        "CUSTOMER_SYNC_FLUSH_SECONDS": "86400",
    }
    redis = Redis.from_url(REDIS)
    await redis.flushdb()
    port = free_port()
    log = logdir / "bench.log"
    server = start(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"], env, log
    )
    # --py-spy: each worker under `py-spy record` (raw collapsed stacks), stopped with SIGINT
    # so py-spy writes its file; the CPU counted is then py-spy's child's too.
    spy = [args.py_spy, "record", "--format", "raw", "--rate", "100", "--subprocesses", "-o"]
    workers = [
        start(
            [
                *([*spy, str(logdir / f"worker-{n}.txt"), "--"] if args.py_spy else []),
                sys.executable,
                "-m",
                "app.cli",
                "worker",
            ],
            {**env, "WORKER_METRICS_PORT": str(free_port())},
            log,
        )
        for n in range(args.workers)
    ]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    orders = Orders(args.customers)
    retried: dict[str, int] = {}
    analyzer: asyncio.Task[None] | None = None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            await wait_http(client, server, log)
            await asyncio.sleep(3)  # the workers' start-up
            cpu_from = worker_cpu(workers)
            pg_from = await backend_cpu(conn)
            others_from = (worker_cpu([server]), await redis_cpu(redis), own_cpu())
            if args.autoanalyze > 0:  # its backend's CPU counts (not in pg_from: all of it)
                analyzer = asyncio.create_task(
                    autoanalyze(
                        url.replace("postgresql+asyncpg://", "postgresql://"), args.autoanalyze
                    )
                )
            sent_in = await send(port, orders, args.orders, args.rate, retried)
        print(
            f"{args.orders:,} deliveries sent in {sent_in:.1f} s ({args.orders / sent_in:.0f}/s); "
            f"sent again: {retried or 'none'}"
        )
        deadline = time.monotonic() + args.timeout
        while True:
            earned = await conn.fetchval("SELECT count(*) FROM points_ledger WHERE kind = 'earn'")
            if earned >= args.orders:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {earned} of {args.orders} orders earned; see {log}")
            if any(w.poll() is not None for w in workers):
                raise SystemExit(f"a worker exited; see {log}")
            # Each count reads the whole ledger (about 0.1 s of PostgreSQL at 200,000 rows, on
            # the cores the run measures): every 5 s until the last 2 %, then every 0.5 s.
            await asyncio.sleep(0.5 if args.orders - earned <= args.orders // 50 else 5.0)
        cpu_used = worker_cpu(workers) - cpu_from
        pg_to = await backend_cpu(conn)
        others_to = (worker_cpu([server]), await redis_cpu(redis), own_cpu())
        serve_used, redis_used, own_used = (
            b - a for a, b in zip(others_from, others_to, strict=True)
        )
        pg_used = sum(t - pg_from.get(pid, 0.0) for pid, t in pg_to.items())
        drained_in = await drained(redis, deadline)
        cpu_drained = worker_cpu(workers) - cpu_from
        pg_drained = sum(t - pg_from.get(pid, 0.0) for pid, t in (await backend_cpu(conn)).items())
        if analyzer is not None:
            analyzer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await analyzer
        row = await conn.fetchrow(
            """
            SELECT count(*) AS orders,
                   extract(epoch FROM max(l.created_at) - min(e.received_at)) AS span,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM l.created_at - e.received_at)) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (
                       ORDER BY extract(epoch FROM l.created_at - e.received_at)) AS p99,
                   max(extract(epoch FROM l.created_at - e.received_at)) AS worst
            FROM points_ledger l
            JOIN orders o ON o.id = l.order_id
            JOIN webhook_events e
              ON e.webhook_id = 'bench-loyalty-' || (o.shopify_id - 7000000000)::text
            WHERE l.kind = 'earn'
            """
        )
        accounts = await conn.fetchval("SELECT count(*) FROM loyalty_accounts")
        points = await conn.fetchval("SELECT sum(balance) FROM loyalty_accounts")
        events = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'processed') AS processed, "
            "count(*) FILTER (WHERE status <> 'processed') AS other FROM webhook_events"
        )
    finally:
        if analyzer is not None:
            analyzer.cancel()
        for worker in workers:
            stop(worker, signal.SIGINT if args.py_spy else signal.SIGTERM)
        stop(server)
        await conn.close()
    queued = await redis.hlen(f"boomerang:sync:{shop_id}:metafields")  # type: ignore[misc]
    await redis.flushdb()
    await redis.aclose()
    started = time.perf_counter()
    verified = subprocess.run(  # noqa: ASYNC221  (measured alone, nothing else runs)
        [sys.executable, "-m", "app.cli", "loyalty", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    verify_seconds = time.perf_counter() - started
    verdict = verified.stdout.strip().splitlines()[-1] if verified.stdout.strip() else "no output"
    if not args.keep:
        await drop_database(name)
    load_end = os.getloadavg()
    assert row is not None
    assert events is not None
    rate = row["orders"] / float(row["span"])
    figures = {
        "orders": row["orders"],
        "customers": args.customers,
        "accounts": accounts,
        "points": points,
        "events_processed": events["processed"],
        "events_other": events["other"],
        "rate": rate,
        "p50": float(row["p50"]),
        "p99": float(row["p99"]),
        "worst": float(row["worst"]),
        "worker_cpu_ms": 1000 * cpu_used / row["orders"],
        "pg_cpu_ms": 1000 * pg_used / row["orders"],
        "drained_worker_cpu_ms": 1000 * cpu_drained / row["orders"],
        "drained_pg_cpu_ms": 1000 * pg_drained / row["orders"],
        "drained_in": drained_in,
        "serve_cpu_ms": 1000 * serve_used / row["orders"],
        "redis_cpu_ms": 1000 * redis_used / row["orders"],
        "sender_cpu_ms": 1000 * own_used / row["orders"],
        "queued_metafields": queued,
        "verify_seconds": verify_seconds,
        "verify_exit": verified.returncode,
        "verdict": verdict,
        "load_start": load_start,
        "load_end": load_end,
        "sent_in": sent_in,
        "retried": retried,
    }
    text = report(args, figures)
    print(text)
    print(f"logs: {logdir}")
    if verified.returncode != 0:
        print(verified.stdout[-3000:], verified.stderr[-3000:])
    if not args.no_write:
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write("\n" + text)


def report(args: argparse.Namespace, f: dict[str, Any]) -> str:
    smaller = (
        ""
        if args.orders == 200_000
        else f" (**smaller than the default 200,000 / 50,000**: {args.orders:,} orders)"
    )
    goal = "met" if f["rate"] >= 300 else "**missed**"
    cores = os.cpu_count() or 1
    budget = 1000 * cores / args.rate
    total = sum(
        f[key]
        for key in ("worker_cpu_ms", "pg_cpu_ms", "serve_cpu_ms", "redis_cpu_ms", "sender_cpu_ms")
    )
    return "\n".join(
        [
            f"## loyalty — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"`./bench/loyalty/run --orders {args.orders} --customers {args.customers} "
            f"--rate {args.rate:g} --workers {args.workers}"
            + f" --autoanalyze {args.autoanalyze:g}"
            + (" --winback-live" if args.winback_live else "")
            + f"`{smaller}. `lscpu | head`:",
            "",
            "```",
            machine(),
            "```",
            "",
            f"{f['orders']:,} signed orders/paid deliveries for {args.customers:,} customers sent "
            f"open-loop at {args.rate:g}/s to `boomerang serve`, processed by {args.workers} "
            "`boomerang worker` processes into earn ledger rows; load average "
            f"{f['load_start'][0]:.2f} at the start, {f['load_end'][0]:.2f} at the end "
            f"(the machine is shared). Sending took {f['sent_in']:.0f} s "
            f"({f['orders'] / f['sent_in']:.0f}/s achieved); deliveries sent again (not "
            f"answered 200 at once): {f['retried'] or 'none'}. Win-back "
            + (
                "live (--winback-live): a member's orders seconds apart make them lapsed "
                "(2x their median interval) seconds after their last."
                if args.winback_live
                else "paused (a member's orders come seconds apart here, and win-back's "
                "2x-median-interval rule finds them lapsed seconds after their last: a cost "
                "of the compressed time; --winback-live leaves it on)."
            )
            + (
                f" Every {args.autoanalyze:g} s from the first delivery to the last earn, the "
                "tables autovacuum would analyze then (50 rows + 10 % changed) were ANALYZEd "
                "(--autoanalyze, the default since 2026-12-05 18:40, by autovacuum's rule since "
                "22:15, "
                "as bench/pipeline's; its own connection, counted in the PostgreSQL CPU), "
                "standing in for autovacuum, which production has and this machine's "
                "PostgreSQL has off."
                if args.autoanalyze
                else " **With --autoanalyze 0**: the database was never ANALYZEd during the "
                "run (the conditions before 2026-12-05 18:40; autovacuum is off here)."
            ),
            "",
            "| orders/s (goal ≥ 300) | webhook → ledger p50 | p99 | worst | worker CPU per order "
            "| PostgreSQL CPU per order | drained: worker / PostgreSQL CPU per order "
            "| accounts | queued metafield writes | verify | events |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {f['rate']:.0f} ({goal}) | {f['p50'] * 1000:.0f} ms | {f['p99'] * 1000:.0f} ms "
            f"| {f['worst']:.1f} s | {f['worker_cpu_ms']:.2f} ms | {f['pg_cpu_ms']:.2f} ms "
            f"| {f['drained_worker_cpu_ms']:.2f} / {f['drained_pg_cpu_ms']:.2f} ms "
            f"({f['drained_in']:.0f} s after the last earn) "
            f"| {f['accounts']:,} | {f['queued_metafields']:,} | {f['verify_seconds']:.1f} s "
            f"(exit {f['verify_exit']}: {f['verdict']}) | {f['events_processed']:,} processed, "
            f"{f['events_other']} other |",
            "",
            "Every process's CPU per order from the first delivery to the last earn: "
            f"workers {f['worker_cpu_ms']:.2f} ms, PostgreSQL {f['pg_cpu_ms']:.2f} ms, "
            f"`boomerang serve` {f['serve_cpu_ms']:.2f} ms, Redis {f['redis_cpu_ms']:.2f} ms, "
            f"the bench's sender {f['sender_cpu_ms']:.2f} ms: **{total:.2f} ms** in all, where "
            f"{args.rate:g} orders/s on {cores} cores leave at most {budget:.2f} ms.",
            "",
        ]
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=300.0, help="deliveries sent per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait")
    parser.add_argument("--log-level", default="WARNING", help="the processes' LOG_LEVEL")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--py-spy", help="path of py-spy: profile each worker (for study)")
    parser.add_argument(
        "--autoanalyze",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="ANALYZE the database every SECONDS during the run, as autovacuum does on a "
        "production server (default 5; 0: never, the conditions before 2026-12-05 18:40)",
    )
    parser.add_argument(
        "--winback-live",
        action="store_true",
        help="leave win-back live (its median-interval rule finds the bench's members lapsed)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    asyncio.run(main(parser.parse_args()))
