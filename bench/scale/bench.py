"""Scale-out benchmark: `boomerang serve --workers W` and P `boomerang worker` processes together,
N distinct signed orders/create deliveries POSTed (16 at a time) while the workers process them.

For each (web processes, worker processes) round, on a fresh database:
- ingest: deliveries per second answered 200, and the p99 of the POST's latency;
- processing: events per second (N over first received_at to last processed_at) and the p99 of
  webhook to processed (processed_at - received_at, from the rows).
Rounds: web 1/2/4 with 2 workers, workers 1/2/4 with 2 web processes.
Prints the figures and appends them to bench/RESULTS.md (unless --no-write)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from redis.asyncio import Redis

from bench.pipeline.bench import (
    FERNET,
    SECRET,
    SERVER,
    SHOP,
    create_database,
    deliveries,
    drop_database,
    free_port,
    machine,
    sign,
    start,
    stop,
)
from tests.support.services import claim_redis_db

ROOT = Path(__file__).resolve().parents[2]
# A Redis db leased as the test runs lease theirs (db 0's boomerang:test-run-db:N), so this
# run never flushes one that a test run on the same server holds; BENCH_REDIS_URL pins one.
REDIS_SERVER = "redis://127.0.0.1:6379"
REDIS = os.environ.get("BENCH_REDIS_URL", "")
DATABASE = "bench_scale"
ROUNDS = ((1, 2), (2, 2), (4, 2), (2, 1), (2, 4))


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


async def one_round(web: int, workers: int, bodies: list[bytes], logs: Path) -> dict[str, float]:
    client = Redis.from_url(REDIS)
    await client.flushdb()
    await client.aclose()
    url = await create_database(DATABASE)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": REDIS,
        "SHOPIFY_API_KEY": "bench-key",
        "SHOPIFY_API_SECRET": SECRET,
        "TOKEN_ENCRYPTION_KEYS": FERNET,
        "WORKER_METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": tempfile.mkdtemp(prefix="bench-scale-"),
    }
    port = free_port()
    log = logs / f"web{web}-workers{workers}.log"
    server = start(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(web)],
        env,
        log,
    )
    procs = [start([sys.executable, "-m", "app.cli", "worker"], env, log) for _ in range(workers)]
    latencies: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            deadline = time.monotonic() + 90
            while True:
                try:
                    await http.get("/healthz")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"boomerang serve did not start; see {log}") from None
                    await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # the workers connect
            pending = list(enumerate(bodies))
            started = time.perf_counter()

            async def post_some() -> None:
                while pending:
                    n, body = pending.pop()
                    sent = time.perf_counter()
                    answer = await http.post(
                        "/webhooks",
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-Shopify-Topic": "orders/create",
                            "X-Shopify-Hmac-Sha256": sign(body),
                            "X-Shopify-Shop-Domain": SHOP,
                            "X-Shopify-Webhook-Id": f"scale-{n}",
                            "X-Shopify-API-Version": "2026-10",
                            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
                        },
                    )
                    latencies.append(time.perf_counter() - sent)
                    if answer.status_code != 200:
                        raise SystemExit(f"delivery {n}: HTTP {answer.status_code}")

            await asyncio.gather(*(post_some() for _ in range(16)))
            ingest_seconds = time.perf_counter() - started
        conn = await asyncpg.connect(f"{SERVER}/{DATABASE}")
        done = "SELECT count(*) FROM webhook_events WHERE status = 'processed'"
        deadline = time.monotonic() + 600
        while await conn.fetchval(done) < len(bodies):
            if time.monotonic() > deadline:
                raise SystemExit(f"not every event was processed; see {log}")
            await asyncio.sleep(0.5)
        row = await conn.fetchrow(
            "SELECT extract(epoch FROM max(processed_at) - min(received_at)) AS span,"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY"
            "   extract(epoch FROM processed_at - received_at)) AS p99,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY"
            "   extract(epoch FROM processed_at - received_at)) AS p50"
            " FROM webhook_events"
        )
        await conn.close()
    finally:
        for proc in procs:
            stop(proc)
        stop(server)
    await drop_database(DATABASE)
    return {
        "web": web,
        "workers": workers,
        "ingest_rate": len(bodies) / ingest_seconds,
        "ingest_p99_ms": p99(latencies) * 1000,
        "rate": len(bodies) / float(row["span"]),
        "p50_s": float(row["p50"]),
        "p99_s": float(row["p99"]),
    }


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
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    logs = Path(tempfile.mkdtemp(prefix="bench-scale-logs-"))
    bodies = deliveries(args.events)
    results = []
    for web, workers in ROUNDS:
        result = await one_round(web, workers, bodies, logs)
        print(result, flush=True)
        results.append(result)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"## scale — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.events} distinct signed orders/create deliveries POSTed 16 at a time to "
        "`boomerang serve --workers W` while P `boomerang worker` processes process them (a fresh "
        f"database per round). Load average before: {load_before}; after: {load_after}.",
        "",
        "| web processes | worker processes | ingest req/s | ingest p99 | processed events/s "
        "| webhook → processed p50 | p99 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r['web']} | {r['workers']} | {r['ingest_rate']:.0f} | "
            f"{r['ingest_p99_ms']:.0f} ms | {r['rate']:.0f} | {r['p50_s']:.1f} s | "
            f"{r['p99_s']:.1f} s |"
        )
    lines += ["", "Machine:", "```", machine(), "```", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with (ROOT / "bench" / "RESULTS.md").open("a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--no-write", action="store_true")
    asyncio.run(main(parser.parse_args()))
