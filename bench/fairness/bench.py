"""Fairness benchmark: a big shop's backlog of N orders/create deliveries, then a small shop's
5 orders; `boomerang worker` processes them with the queue's per-shop fair scheduling
(QUEUE_FAIR=true) and with the plain FIFO (QUEUE_FAIR=false), each on a fresh database.

Measured, per mode, from the rows (received_at, processed_at):
- the small shop's latency: from each of its deliveries stored to processed (max of the 5);
  under FIFO they wait behind the backlog, so they may not be processed within the window;
- the big shop's throughput: its events processed per second over the window's steady part.

Win-back is paused on both shops unless --winback-live: its cron walk (every minute) finds the
backlog's customers lapsed (the fixture orders are old) and starts a run with a code for each.
Under FIFO that work is due behind the whole backlog and waits; with fair scheduling due jobs of
the queue's schedule keep up to half the slots and it runs, so the two modes would not be doing
the same work (py-spy, 2026-12-05: a third of the fair worker's CPU in win-back's steps and
walk, none in FIFO's). Paused, both modes process the same events and nothing else.

The backlog is stored straight into webhook_events (distinct orders, as bench/pipeline makes
them) and enqueued through the queue interface as the receiver enqueues it.
Prints the figures and appends them to bench/RESULTS.md (unless --no-write)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from app.inbox.jobs import PROCESS_JOB, first_job_id
from app.queue.arq_backend import ArqQueue
from app.queue.interface import QueueUnavailable
from bench.pipeline.bench import (
    FERNET,
    SECRET,
    SERVER,
    create_database,
    deliveries,
    drop_database,
    machine,
    start,
    stop,
)
from tests.support.services import claim_redis_db

ROOT = Path(__file__).resolve().parents[2]
BIG = "bench-pipeline.myshopify.com"  # installed by create_database
SMALL = "bench-small.myshopify.com"
# A Redis db leased as the test runs lease theirs (db 0's boomerang:test-run-db:N), so this
# run never flushes one that a test run on the same server holds; BENCH_REDIS_URL pins one.
REDIS_SERVER = "redis://127.0.0.1:6379"
REDIS = os.environ.get("BENCH_REDIS_URL", "")
DATABASE = "bench_fairness"


async def _flush() -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS)
    await client.flushdb()
    await client.aclose()


async def _store(
    conn: asyncpg.Connection, shop_id: int, bodies: list[bytes], tag: str
) -> list[int]:
    rows = await conn.fetch(
        "INSERT INTO webhook_events (shop_id, topic, webhook_id, event_id, triggered_at,"
        " api_version, body, status, attempts)"
        " SELECT $1, 'orders/create', $2 || n, NULL, now(), '2026-10', b, 'received', 0"
        " FROM unnest($3::text[]) WITH ORDINALITY AS t(b, n) ORDER BY n RETURNING id",
        shop_id,
        tag,
        [b.decode() for b in bodies],
    )
    return [int(r["id"]) for r in rows]


async def _enqueue(queue: ArqQueue, ids: list[int], shop: str) -> None:
    limit = asyncio.Semaphore(16)

    async def one(row_id: int) -> None:
        async with limit:
            for _ in range(10):
                # A loaded 2-core machine can make Redis slow to accept a new connection (the
                # queue gives up after 1 s, as the webhook route must): try again.
                try:
                    await queue.enqueue(PROCESS_JOB, row_id, job_id=first_job_id(row_id), shop=shop)
                    return
                except QueueUnavailable:
                    await asyncio.sleep(0.5)
            raise SystemExit("Redis refused the backlog's enqueues 10 times")

    await asyncio.gather(*(one(i) for i in ids))


async def run_mode(
    fair: bool,
    backlog: int,
    window: float,
    log: Path,
    profile: str | None = None,
    winback_live: bool = False,
) -> dict[str, object]:
    await _flush()
    url = await create_database(DATABASE)
    conn = await asyncpg.connect(f"{SERVER}/{DATABASE}")
    small_id = await conn.fetchval(
        "INSERT INTO shops (domain, scopes, installed_at, timezone, currency, locale, name) "
        "VALUES ($1, 'read_orders', now(), 'UTC', 'USD', 'en', 'Small') RETURNING id",
        SMALL,
    )
    big_id = await conn.fetchval("SELECT id FROM shops WHERE domain = $1", BIG)
    # Stored either way: paused is win-back's default since 2026-12-06, live was before.
    await conn.execute(
        "INSERT INTO scenario_settings (shop_id, scenario, mode, transactional, options)"
        " SELECT id, 'winback', $1, false, '{}'::jsonb FROM shops",
        "live" if winback_live else "paused",
    )
    bodies = deliveries(backlog + 5)
    queue = ArqQueue(REDIS, fair=fair)
    big_ids = await _store(conn, big_id, bodies[:backlog], "big-")
    await _enqueue(queue, big_ids, BIG)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS,
        "SHOPIFY_API_KEY": "bench-key",
        "SHOPIFY_API_SECRET": SECRET,
        "TOKEN_ENCRYPTION_KEYS": FERNET,
        "WORKER_METRICS_PORT": "0",
        "QUEUE_FAIR": "true" if fair else "false",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": tempfile.mkdtemp(prefix="bench-fairness-"),
    }
    # --py-spy: the worker under `py-spy record` (raw collapsed stacks of CPU samples, beside
    # the worker's log), stopped with SIGINT so py-spy writes its file.
    output = str(log.with_suffix(".spy"))
    spy = [profile, "record", "--format", "raw", "--rate", "200", "-o", output, "--"]
    if not profile:
        spy = []
    worker = start([*spy, sys.executable, "-m", "app.cli", "worker"], env, log)
    try:
        started = time.monotonic()
        while (
            await conn.fetchval("SELECT count(*) FROM webhook_events WHERE status = 'processed'")
            < 50
        ):
            if time.monotonic() - started > 120 or worker.poll() is not None:
                raise SystemExit(f"the worker did not start processing; see {log}")
            await asyncio.sleep(0.2)
        steady_from = datetime.now(UTC)
        await asyncio.sleep(window / 4)
        small_ids = await _store(conn, small_id, bodies[backlog:], "small-")
        await _enqueue(queue, small_ids, SMALL)
        await asyncio.sleep(window * 3 / 4)
        steady_to = datetime.now(UTC)
    finally:
        stop(worker, signal.SIGINT if profile else signal.SIGTERM)
        await queue.close()
    small = await conn.fetch(
        "SELECT extract(epoch FROM processed_at - received_at) AS s FROM webhook_events"
        " WHERE shop_id = $1",
        small_id,
    )
    big_done = await conn.fetchval(
        "SELECT count(*) FROM webhook_events WHERE shop_id = $1 AND status = 'processed'"
        " AND processed_at BETWEEN $2 AND $3",
        big_id,
        steady_from,
        steady_to,
    )
    big_left = await conn.fetchval(
        "SELECT count(*) FROM webhook_events WHERE shop_id = $1 AND status = 'received'", big_id
    )
    await conn.close()
    await drop_database(DATABASE)
    latencies = [float(r["s"]) for r in small if r["s"] is not None]
    return {
        "mode": "fair" if fair else "fifo",
        "small_processed": len(latencies),
        "small_max_s": max(latencies) if latencies else None,
        "big_rate": big_done / (steady_to - steady_from).total_seconds(),
        "big_left": big_left,
    }


def report(
    args: argparse.Namespace, results: list[dict[str, object]], load: str, after: str
) -> str:
    winback = (
        "live (FIFO leaves its work behind the backlog, fair runs it)"
        if args.winback_live
        else "paused on both shops (the same work in both modes)"
    )
    lines = [
        f"### bench/fairness — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Backlog: {args.backlog} orders/create of one shop, then 5 of another shop "
        f"{args.window / 4:.0f} s into a {args.window:.0f} s window; 1 `boomerang worker` "
        f"process (10 jobs at once). Win-back {winback}. Load average before the run: {load};"
        f" after: {after}.",
        "",
        "| mode | small shop: processed | small shop: max latency | big shop: events/s "
        "| big shop: left at the end |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        latency = (
            f"{r['small_max_s']:.2f} s"
            if r["small_max_s"] is not None and r["small_processed"] == 5
            else f"not processed within the {args.window * 3 / 4:.0f} s left"
        )
        lines.append(
            f"| {r['mode']} | {r['small_processed']} of 5 | {latency} | {r['big_rate']:.1f} "
            f"| {r['big_left']} |"
        )
    rates = {r["mode"]: float(r["big_rate"]) for r in results}  # type: ignore[arg-type]
    if "fifo" in rates and "fair" in rates and rates["fifo"]:
        lines += [
            "",
            "Big shop's throughput, fair against FIFO: "
            f"{100 * rates['fair'] / rates['fifo']:.0f} %.",
        ]
    lines += ["", "Machine:", "```", machine(), "```", ""]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    global REDIS
    lease = None
    if not REDIS:
        lease = await claim_redis_db(REDIS_SERVER)
        REDIS = f"{REDIS_SERVER}/{lease.db}"
    try:
        await _main(args)
    finally:
        if lease is not None:
            await lease.release()


async def _main(args: argparse.Namespace) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = []
    logs = Path(tempfile.mkdtemp(prefix="bench-fairness-logs-"))
    print(f"worker logs (and profiles) in {logs}", flush=True)
    for fair in (False, True) if args.mode == "both" else (args.mode == "fair",):
        log = logs / f"worker-{'fair' if fair else 'fifo'}.log"
        result = await run_mode(
            fair, args.backlog, args.window, log, args.py_spy, args.winback_live
        )
        print(json.dumps(result), flush=True)
        results.append(result)
    after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report(args, results, load, after)
    print(text)
    if not args.no_write:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backlog", type=int, default=20_000)
    parser.add_argument("--window", type=float, default=40.0)
    parser.add_argument("--mode", choices=("both", "fair", "fifo"), default="both")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--winback-live",
        action="store_true",
        help="leave win-back live on both shops (FIFO then starves its work, fair runs it)",
    )
    parser.add_argument("--py-spy", help="path of py-spy: profile the worker (for study)")
    asyncio.run(main(parser.parse_args()))
