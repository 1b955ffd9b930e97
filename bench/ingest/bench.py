"""Drive the ingest benchmark: Boomerang (`boomerang serve --workers 2`) and the floor
(floor.py under uvicorn, 2 workers), each on a fresh database, each hit by wrk (throughput)
and by a fixed-rate open-loop client (latency at 300 req/s), then checked row by row."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from app.queue import fair

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT.parent / "shared" / "fixtures" / "orders_create.json"
SHOP = "bench-shop.myshopify.com"
SECRET = "bench-client-secret-0123456789abcdef-0123456789"  # noqa: S105  (bench only)
FERNET = base64.urlsafe_b64encode(b"b" * 32).decode()

LUA = r"""
local body_file = io.open("{body}", "rb")
local body = body_file:read("*a")
body_file:close()
local run = "{run}"
local threads = {{}}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  ok = 0
  bad = 0
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Shopify-Topic"] = "orders/create"
  wrk.headers["X-Shopify-Hmac-Sha256"] = "{hmac}"
  wrk.headers["X-Shopify-Shop-Domain"] = "{shop}"
  wrk.headers["X-Shopify-API-Version"] = "2026-10"
end
function request()
  counter = counter + 1
  wrk.headers["X-Shopify-Webhook-Id"] = run .. "-" .. tid .. "-" .. counter
  return wrk.format(nil, "/webhooks")
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_bad = total_bad + t:get("bad")
  end
  io.write(string.format(
    "RESULT {{\"requests\": %d, \"ok\": %d, \"bad\": %d, \"seconds\": %f, " ..
    "\"p50_ms\": %f, \"p99_ms\": %f, \"socket_errors\": %d}}\n",
    summary.requests, total_ok, total_bad, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def sign(body: bytes) -> str:
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Figures:
    name: str
    wrk: dict[str, float] = field(default_factory=dict)
    wrk_stored: int = 0
    rate: dict[str, float] = field(default_factory=dict)
    rate_check: str = ""
    queue_check: str = ""


async def create_database(server: str, name: str) -> str:
    admin = await asyncpg.connect(f"{server.replace('postgresql+asyncpg', 'postgresql')}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{server}/{name}"
    from app.db.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    await conn.execute(
        "INSERT INTO shops (domain, scopes, installed_at, timezone, currency, locale) "
        "VALUES ($1, 'read_orders', now(), 'UTC', 'USD', 'en')",
        SHOP,
    )
    await conn.close()
    return url


async def drop_database(server: str, name: str) -> None:
    admin = await asyncpg.connect(f"{server.replace('postgresql+asyncpg', 'postgresql')}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(1.0)  # let every worker finish its lifespan start-up
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {seconds}s")


def run_wrk(
    port: int, run: str, body_path: Path, hmac_value: str, args: argparse.Namespace
) -> dict[str, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA.format(body=body_path, run=run, hmac=hmac_value, shop=SHOP))
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=args.seconds + 60,
    )
    script.unlink()
    match = re.search(r"RESULT (\{.*\})", out.stdout)
    if not match:
        raise SystemExit(f"wrk said:\n{out.stdout}\n{out.stderr}")
    result: dict[str, float] = json.loads(match.group(1))
    result["rps"] = result["ok"] / result["seconds"]
    return result


async def fixed_rate(
    port: int, run: str, body: bytes, rate: int, seconds: int, connections: int = 64
) -> tuple[dict[str, float], set[str]]:
    """Open loop: request i is due at t0 + i/rate whatever happened before, and its latency
    counts from that moment, so a stall is not hidden (no coordinated omission). Plain HTTP/1.1
    over keep-alive sockets: a Python HTTP client would spend more CPU than the server."""
    head = (
        "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Hmac-Sha256: {sign(body)}\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
        "X-Shopify-API-Version: 2026-10\r\nX-Shopify-Webhook-Id: "
    ).encode()
    total = rate * seconds
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    accepted: set[str] = set()
    failures = 0
    t0 = time.monotonic() + 0.5

    async def schedule() -> None:
        for i in range(total):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
            due.put_nowait((i, t0 + i / rate))
        for _ in range(connections):
            due.put_nowait(None)

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (item := await due.get()) is not None:
                i, scheduled = item
                webhook_id = f"{run}-rate-{i}"
                writer.write(head + webhook_id.encode() + b"\r\n\r\n" + body)
                response = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", response)
                if length and int(length.group(1)):
                    await reader.readexactly(int(length.group(1)))
                latencies.append(time.monotonic() - scheduled)
                if response.split(b" ", 2)[1] == b"200":
                    accepted.add(webhook_id)
                else:
                    failures += 1
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(schedule(), *(connection() for _ in range(connections)))
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    figures = {
        "rate": rate,
        "sent": total,
        "ok": len(accepted),
        "failures": failures,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000,
    }
    return figures, accepted


async def check_rows(url: str, run: str, accepted: set[str]) -> str:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    rows = await conn.fetch(
        "SELECT webhook_id, count(*) AS n FROM webhook_events WHERE webhook_id LIKE $1 "
        "GROUP BY webhook_id",
        f"{run}-rate-%",
    )
    await conn.close()
    counts = {r["webhook_id"]: r["n"] for r in rows}
    lost = [w for w in accepted if w not in counts]
    duplicated = [w for w, n in counts.items() if n > 1]
    return (
        f"accepted {len(accepted)}, stored {len(counts)}, lost {len(lost)}, "
        f"duplicated {len(duplicated)}"
    )


async def count_rows(url: str, prefix: str) -> int:
    """Rows of one run, once its in-flight requests have landed; both counts in ONE query."""
    await asyncio.sleep(2)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    row = await conn.fetchrow(
        "SELECT count(DISTINCT webhook_id) AS n, count(*) AS total FROM webhook_events "
        "WHERE webhook_id LIKE $1",
        prefix + "-%",
    )
    await conn.close()
    assert row is not None
    if row["n"] != row["total"]:
        raise SystemExit(f"{row['total'] - row['n']} webhook ids stored twice")
    return int(row["n"])


# Where each target queues a stored row: arq's sorted set for Boomerang, the floor's list.
QUEUES = {"boomerang": ("zcard", "boomerang:queue"), "floor": ("llen", "floor:queue")}


async def check_queue(name: str, url: str, redis_url: str) -> str:
    """Every stored row of the round has its job in the queue (nothing consumes it during the
    bench). A receiver whose enqueue fails fast still answers 200 and would look faster than
    one that enqueues: such a round stops the benchmark."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    stored = int(await conn.fetchval("SELECT count(*) FROM webhook_events"))
    await conn.close()
    command, key = QUEUES[name]
    client = Redis.from_url(redis_url)
    try:
        queued = int(await getattr(client, command)(key))
        if name == "boomerang":
            # A shop's due jobs wait in its fair-scheduling list (app/queue/fair.py).
            queued += int(await client.hlen(fair.JOBS_KEY))  # type: ignore[misc]
    finally:
        await client.aclose()
    if queued != stored:
        raise SystemExit(
            f"{name}: {stored} rows stored but {queued} jobs queued ({command} {key}): "
            "every accepted delivery must be enqueued; the round's figures mean nothing"
        )
    return f"queued {queued} / stored {stored}"


async def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    url: str,
    body_path: Path,
    args: argparse.Namespace,
) -> Figures:
    figures = Figures(name)
    process = subprocess.Popen(  # noqa: ASYNC220  (started once, before measuring)
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_listening(port, process)
        body = body_path.read_bytes()  # noqa: ASYNC240  (9 KB, before measuring)
        run = f"{name}-{uuid.uuid4().hex[:8]}"
        # Warm-up: connections, prepared statements, caches.
        run_wrk(
            port,
            run + "-warm",
            body_path,
            sign(body),
            argparse.Namespace(threads=args.threads, connections=args.connections, seconds=3),
        )
        figures.wrk = run_wrk(port, run + "-wrk", body_path, sign(body), args)
        figures.wrk_stored = await count_rows(url, run + "-wrk")
        figures.rate, accepted = await fixed_rate(port, run, body, args.rate, args.rate_seconds)
        figures.rate_check = await check_rows(url, run, accepted)
        figures.queue_check = await check_queue(name, url, env["REDIS_URL"])
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return figures


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return (
        f"nproc {os.cpu_count()}; CPU {cpu}; Python {platform.python_version()}\n\n```\n{mem}\n```"
    )


def median(runs: list[Figures]) -> Figures:
    return sorted(runs, key=lambda f: f.wrk["rps"])[len(runs) // 2]


def spread(runs: list[Figures]) -> str:
    """The rounds' range of throughput, and its width against the median: how much one
    round's figure says on this shared machine."""
    rates = sorted(f.wrk["rps"] for f in runs)
    middle = median(runs).wrk["rps"]
    return (
        f"{rates[0]:.0f}–{rates[-1]:.0f} req/s over {len(rates)} rounds "
        f"(spread {(rates[-1] - rates[0]) / middle:.0%} of the median)"
    )


def report(boomerangs: list[Figures], floors: list[Figures], args: argparse.Namespace) -> str:
    boomerang, floor = median(boomerangs), median(floors)
    ratio = boomerang.wrk["rps"] / floor.wrk["rps"]
    worst_p99 = max(f.rate["p99_ms"] for f in boomerangs)
    lines = [
        f"## Ingest — {datetime.now(UTC):%Y-%m-%d %H:%M UTC}",
        "",
        machine(),
        "",
        f"Body: orders/create fixture ({FIXTURE.stat().st_size} bytes), signed once, unique "
        f"X-Shopify-Webhook-Id per request. wrk -t{args.threads} -c{args.connections} "
        f"-d{args.seconds}s (closed loop) on the same 2 cores as the servers and PostgreSQL; "
        f"then an open-loop fixed-rate client at {args.rate} req/s for {args.rate_seconds}s. "
        f"{args.rounds} rounds per target, alternating; each row is one round, the median "
        "round of each target is compared.",
        "",
        "| target | wrk req/s | wrk p50 ms | wrk p99 ms | stored/accepted (wrk) "
        f"| {args.rate}/s p50 ms | {args.rate}/s p99 ms | {args.rate}/s check | queue |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in [*boomerangs, *floors]:
        lines.append(
            f"| {f.name} | {f.wrk['rps']:.0f} | {f.wrk['p50_ms']:.1f} | {f.wrk['p99_ms']:.1f} "
            f"| {f.wrk_stored}/{int(f.wrk['ok'])} (non-200: {int(f.wrk['bad'])}, "
            f"socket errors: {int(f.wrk['socket_errors'])}) "
            f"| {f.rate['p50_ms']:.1f} | {f.rate['p99_ms']:.1f} | {f.rate_check} "
            f"| {f.queue_check} |"
        )
    lines += [
        "",
        f"Median Boomerang / median floor throughput: **{ratio:.0%}** "
        f"({boomerang.wrk['rps']:.0f} / {floor.wrk['rps']:.0f} req/s; goal ≥ 80 %). "
        f"p99 at {args.rate} req/s: median round **{boomerang.rate['p99_ms']:.1f} ms**, "
        f"worst round {worst_p99:.1f} ms (goal ≤ 50 ms).",
        "",
        f"Rounds: Boomerang {spread(boomerangs)}; floor {spread(floors)}. Every round's "
        "stored rows were all in its queue (checked before Redis is flushed).",
        "",
        "wrk's stored count exceeds its 200 count by the requests in flight when it stops "
        "(sent and stored, answer not counted); the fixed-rate phase checks every accepted id "
        "exactly: stored once, none lost.",
    ]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--rate-seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    server = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    body_path = FIXTURE
    results = []
    # Rounds alternate the targets, so drift on a shared machine (checkpoints, neighbours)
    # hits both; each target's median round is reported.
    order = [("boomerang", "floor"), ("floor", "boomerang")]
    names = [n for r in range(args.rounds) for n in order[r % 2]]
    for name in names:
        db = f"boomerang_bench_{name}_{uuid.uuid4().hex[:6]}"
        url = await create_database(server, db)
        port = free_port()
        env = {
            **os.environ,
            "SHOPIFY_API_KEY": "bench",
            "SHOPIFY_API_SECRET": SECRET,
            "TOKEN_ENCRYPTION_KEYS": FERNET,
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
        }
        if name == "boomerang":
            command = [
                str(ROOT / ".venv/bin/boomerang"),
                "serve",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.ingest.floor:app",
                "--workers",
                str(args.workers),
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        try:
            figures = await measure(name, command, env, port, url, body_path, args)
        finally:
            await drop_database(server, db)
            client = Redis.from_url(redis_url)
            await client.flushdb()
            await client.aclose()
        print(
            json.dumps(
                {
                    "name": name,
                    "wrk": figures.wrk,
                    "stored": figures.wrk_stored,
                    "rate": figures.rate,
                    "check": figures.rate_check,
                    "queue": figures.queue_check,
                }
            )
        )
        results.append(figures)
    text = report(
        [f for f in results if f.name == "boomerang"],
        [f for f in results if f.name == "floor"],
        args,
    )
    print(text)
    if not args.no_write:
        path = ROOT / "bench" / "RESULTS.md"
        previous = path.read_text() if path.exists() else "# Benchmark results\n\n"
        path.write_text(previous.rstrip() + "\n\n" + text)


if __name__ == "__main__":
    asyncio.run(main())
