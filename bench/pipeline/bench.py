"""Pipeline benchmark: how fast `boomerang worker` turns stored deliveries into rows and facts.

1. N distinct orders/create deliveries (Shopify's fixture, each with its own order, customer,
   line item ids, email and checkout token) are signed and POSTed to `boomerang serve` while no
   worker runs: each is stored and its job queued, as in production.
2. `boomerang worker` processes (1, then 2, each round on a fresh database) drain them; the rate
   is N over the span of the events' processed_at (first to last), so the workers' start-up is
   not counted. Every event must end `processed`, each order and customer stored once.
   While a round drains, every 5 s, the tables autovacuum would analyze then (its rule: 50
   rows + 10 % changed) are ANALYZEd (--autoanalyze, 0 to leave it out): it stands for
   autovacuum, which a production server runs and this machine's
   PostgreSQL has off. Without it a round's fresh database is never analyzed, and the
   workers' cached plans, made while its tables were empty, can reach a customer or the
   customer's orders through any index led by shop_id (all cost the same then): a scan of
   the shop's rows per event, growing with the round.
3. The floor: one worker process built the same way (bench/pipeline/floor.py) running
   near-empty jobs, measured before each round and after the last, in the same run; and
   two such processes sharing the queue (jobs/s in all), before the 2-process round and
   after the last, so the pipeline's scaling with two processes reads next to the floor's
   own on the same machine (2 cores shared with PostgreSQL and Redis).

Prints the figures and appends them to bench/RESULTS.md (unless --no-write)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import hashlib
import hmac
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from redis.asyncio import Redis

from app.queue import fair
from app.queue.arq_backend import ArqQueue
from bench.pipeline.floor import FLOOR_JOB

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT.parent / "shared" / "fixtures" / "orders_create.json"
SHOP = "bench-pipeline.myshopify.com"
SECRET = "bench-pipeline-client-secret-0123456789abcdef-0123"  # noqa: S105  (bench only)
FERNET = base64.urlsafe_b64encode(b"p" * 32).decode()
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    return "\n".join(lscpu.splitlines()[:10])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def deliveries(count: int) -> list[bytes]:
    """`count` distinct orders/create bodies from Shopify's sample: every id a handler keys on
    (order, customer, line items), the email and the checkout token differ."""
    fixture = json.loads(FIXTURE.read_text())
    bodies = []
    for n in range(count):
        order = copy.deepcopy(fixture)
        order["id"] = 7_000_000_000 + n
        order["name"] = f"#B{n}"
        order["order_number"] = order["number"] = 10_000 + n
        order["email"] = order["contact_email"] = f"buyer{n}@bench.test"
        order["checkout_token"] = f"bench-checkout-{n:08d}"
        order["token"] = uuid.uuid4().hex
        if isinstance(order.get("customer"), dict):
            order["customer"]["id"] = 8_000_000_000 + n
            order["customer"]["email"] = f"buyer{n}@bench.test"
        for k, line in enumerate(order.get("line_items") or []):
            line["id"] = 9_000_000_000 + n * 100 + k
        bodies.append(json.dumps(order).encode())
    return bodies


async def create_database(name: str) -> str:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    from app.db.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    conn = await asyncpg.connect(f"{SERVER}/{name}")
    await conn.execute(
        "INSERT INTO shops (domain, scopes, installed_at, timezone, currency, locale, name) "
        "VALUES ($1, 'read_orders', now(), 'UTC', 'USD', 'en', 'Bench')",
        SHOP,
    )
    await conn.close()
    return url


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(f"{SERVER}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


async def store_deliveries(env: dict[str, str], bodies: list[bytes], log: Path) -> float:
    """POST every body to `boomerang serve` (its own process, stopped afterwards)."""
    port = free_port()
    server = start(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "1"], env, log
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    await client.get("/healthz")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit(f"boomerang serve did not start; see {log}") from None
                    await asyncio.sleep(0.2)
            pending = list(enumerate(bodies))
            started = time.perf_counter()

            async def post_some() -> None:
                while pending:
                    n, body = pending.pop()
                    answer = await client.post(
                        "/webhooks",
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            "X-Shopify-Topic": "orders/create",
                            "X-Shopify-Hmac-Sha256": sign(body),
                            "X-Shopify-Shop-Domain": SHOP,
                            "X-Shopify-Webhook-Id": f"bench-{n}",
                            "X-Shopify-Event-Id": f"event-{n}",
                            "X-Shopify-API-Version": "2026-10",
                            "X-Shopify-Triggered-At": datetime.now(UTC).isoformat(),
                        },
                    )
                    if answer.status_code != 200:
                        raise SystemExit(f"delivery {n}: HTTP {answer.status_code}")

            await asyncio.gather(*(post_some() for _ in range(16)))
            return time.perf_counter() - started
    finally:
        stop(server)


@dataclass(frozen=True)
class Drain:
    processes: int
    events: int
    seconds: float  # first processed_at to last
    wall: float  # from the workers' spawn to the last event processed
    check: str
    # The workers' CPU per event while they drained (start-up excluded): the figure a
    # machine shared with other load changes least.
    cpu_ms: float
    # The CPU of the PostgreSQL backends serving the workers, per event, over the same span.
    pg_cpu_ms: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def per_process(self) -> float:
        return self.rate / self.processes


# The tables autovacuum's analyze would take now: more rows changed since their last ANALYZE
# than autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x their rows (50 + 10 %
# by default; a table never analyzed counts as empty).
_DUE_FOR_ANALYZE = """
SELECT format('%I.%I', s.schemaname, s.relname)
FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
WHERE s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float
      + current_setting('autovacuum_analyze_scale_factor')::float * greatest(c.reltuples, 0)
"""


async def autoanalyze(dsn: str, every: float) -> None:
    """Every `every` seconds, ANALYZE the tables autovacuum's analyze would take then (its own
    rule: 50 rows + 10 % of the table changed since the last), on a connection of its own (a
    backend of the database: its CPU counts in the PostgreSQL CPU per event), as autovacuum
    keeps a live database's planner statistics; until cancelled. (Until 2026-12-05 22:15 it
    analyzed the whole database every time: at bench/loyalty's 200,000 orders, half of the
    active backends sampled were that ANALYZE, far more than autovacuum does.)"""
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            await asyncio.sleep(every)
            for (table,) in await conn.fetch(_DUE_FOR_ANALYZE):
                await conn.execute(f"ANALYZE {table}")
    finally:
        await conn.close()


async def drain(
    url: str,
    env: dict[str, str],
    processes: int,
    events: int,
    log: Path,
    profile: str | None,
    analyze_every: float = 0.0,
) -> Drain:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    redis = Redis.from_url(REDIS)
    analyzer = (
        asyncio.create_task(
            autoanalyze(url.replace("postgresql+asyncpg://", "postgresql://"), analyze_every)
        )
        if analyze_every > 0
        else None
    )
    try:
        stored = await conn.fetchval("SELECT count(*) FROM webhook_events")
        # Due jobs of a shop wait in its fair-scheduling list (app/queue/fair.py), the
        # others in arq's schedule.
        queued = await redis.zcard("boomerang:queue") + await redis.hlen(fair.JOBS_KEY)
        if stored != events or queued != events:
            raise SystemExit(f"{events} delivered but {stored} stored and {queued} queued")
        spawned = time.perf_counter()
        # --py-spy: each worker under `py-spy record` (collapsed stacks of CPU samples), stopped
        # with SIGINT so py-spy writes its file.
        spy = [profile, "record", "--format", "raw", "--rate", "200", "-o"]
        workers = [
            start(
                [
                    *(
                        [*spy, str(log.with_name(f"worker-{processes}-{n}.txt")), "--"]
                        if profile
                        else []
                    ),
                    sys.executable,
                    "-m",
                    "app.cli",
                    "worker",
                ],
                {**env, "WORKER_METRICS_PORT": str(free_port())},
                log,
            )
            for n in range(processes)
        ]
        try:
            deadline = spawned + 900
            cpu_from: tuple[int, float] | None = None
            while time.perf_counter() < deadline:
                done = await conn.fetchval(
                    "SELECT count(*) FROM webhook_events WHERE status <> 'received'"
                )
                if cpu_from is None and done > 0:
                    cpu_from = (done, cpu_seconds(workers))
                    pg_from = await backend_cpu(conn)
                if done >= events:
                    cpu_to = (done, cpu_seconds(workers))
                    pg_to = await backend_cpu(conn)
                    break
                if any(w.poll() is not None for w in workers):
                    raise SystemExit(f"a worker exited; see {log}")
                await asyncio.sleep(0.1)
            wall = time.perf_counter() - spawned
        finally:
            for worker in workers:
                stop(worker, signal.SIGINT if profile else signal.SIGTERM)
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'processed') AS processed, "
            "count(*) FILTER (WHERE status <> 'processed') AS other, "
            "extract(epoch FROM max(processed_at) - min(processed_at)) AS span "
            "FROM webhook_events"
        )
        orders = await conn.fetchval("SELECT count(DISTINCT shopify_id) FROM orders")
        customers = await conn.fetchval("SELECT count(*) FROM customers")
        lines = await conn.fetchval("SELECT count(*) FROM order_line_items")
    finally:
        if analyzer is not None:
            analyzer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await analyzer
        await conn.close()
        await redis.aclose()
    assert row is not None
    check = (
        f"processed {row['processed']}, not processed {row['other']}; orders {orders}, "
        f"customers {customers}, line items {lines}"
    )
    if row["processed"] != events or orders != events or customers != events:
        raise SystemExit(f"drain with {processes} process(es) incomplete: {check}")
    assert cpu_from is not None
    counted = max(1, cpu_to[0] - cpu_from[0])
    cpu_ms = 1000 * (cpu_to[1] - cpu_from[1]) / counted
    pg_ms = 1000 * sum(t - pg_from.get(pid, 0.0) for pid, t in pg_to.items()) / counted
    return Drain(processes, events, float(row["span"]), wall, check, cpu_ms, pg_ms)


async def backend_cpu(conn: asyncpg.Connection) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to this database (the
    workers' pools), by pid; this bench's own connection left out."""
    pids = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    cpu = {}
    for row in pids:
        try:
            cpu[row["pid"]] = process_cpu(row["pid"])
        except OSError:
            continue  # PostgreSQL on another machine, or the backend just ended
    return cpu


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (not of its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """User + system CPU of the processes (not of their children) so far."""
    return sum(process_cpu(process.pid) for process in processes)


@dataclass(frozen=True)
class Floor:
    rate: float  # near-empty jobs/s
    cpu_ms: float  # CPU per job
    run_twice: int = 0  # jobs two floor processes both ran
    # The longest wait between two jobs' first starts, one after the other: a job that began
    # long after the rest (not a second run of it: those are left out) shows here.
    gap: float = 0.0


async def floor(env: dict[str, str], jobs: int, log: Path, processes: int = 1) -> Floor:
    """Near-empty jobs/s of `processes` worker processes sharing the queue
    (bench/pipeline/floor.py): all the jobs over the span from the first job's start in any
    process to the last job's in any; CPU per job of all the processes together."""
    redis = Redis.from_url(REDIS)
    await redis.flushdb()
    await redis.aclose()
    queue = ArqQueue(REDIS)
    for n in range(0, jobs, 500):
        await asyncio.gather(
            *(
                queue.enqueue(FLOOR_JOB, i, job_id=f"floor:{i}")
                for i in range(n, min(n + 500, jobs))
            )
        )
    await queue.close()
    # Each process writes to files, not pipes: read one after the other, a second process's
    # full stderr pipe (64 KiB of INFO lines) blocked it mid-job, holding that job's
    # in-progress marker until arq's expiry (~300 s) while the other process finished the
    # rest, then ran it again: the 32 jobs/s and "run by both" of the 2-process floor.
    outputs = [
        (log.with_name(f"{log.stem}-floor-{n}.out"), log.with_name(f"{log.stem}-floor-{n}.err"))
        for n in range(processes)
    ]
    runs = []
    for out_path, err_path in outputs:
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            runs.append(
                subprocess.Popen(  # noqa: ASYNC220  (the measured processes; nothing else runs)
                    [sys.executable, "-m", "bench.pipeline.floor"],
                    cwd=ROOT,
                    env=env,
                    stdout=out_file,
                    stderr=err_file,
                    text=True,
                )
            )
    results = []
    for run, (out_path, err_path) in zip(runs, outputs, strict=True):
        await asyncio.to_thread(run.wait, timeout=600)
        with log.open("a") as out_log:
            out_log.write(err_path.read_text()[-5000:])
        if run.returncode != 0:
            raise SystemExit(f"the floor process failed ({run.returncode}); see {log}")
        results.append(json.loads(out_path.read_text().strip().splitlines()[-1]))
    ran = sum(r["jobs"] for r in results)
    # Each process's jobs and their start times, kept beside the log for study (a measure
    # whose span looks wrong can be read job by job).
    measure = f"floor-{processes}-{time.monotonic():.0f}.json"
    log.with_name(measure).write_text(json.dumps(results))
    # Each job's first start in any process (a job both ran, were that ever to happen, must
    # not stretch the span).
    first_start: dict[int, float] = {}
    for r in results:
        for n, at in r["ran"]:
            first_start[n] = min(at, first_start.get(n, at))
    if set(first_start) != set(range(jobs)):
        raise SystemExit(f"floor ran {len(first_start)} of {jobs} jobs")
    span = max(first_start.values()) - min(first_start.values())
    cpu = sum(r["cpu_seconds"] for r in results if r["jobs"])
    # The jobs enqueued over the span (a job two processes both ran counts once), CPU per
    # job run.
    starts = sorted(first_start.values())
    gap = max((b - a for a, b in itertools.pairwise(starts)), default=0.0)
    return Floor(jobs / span, 1000 * cpu / ran, ran - jobs, gap)


async def main(args: argparse.Namespace) -> None:
    print(f"== pipeline benchmark · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(machine())
    bodies = deliveries(args.events)
    logdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    base_env = {
        **os.environ,
        "SHOPIFY_API_KEY": "bench-pipeline",
        "SHOPIFY_API_SECRET": SECRET,
        "TOKEN_ENCRYPTION_KEYS": FERNET,
        "REDIS_URL": REDIS,
        "LOG_LEVEL": args.log_level,
    }
    floors: list[Floor] = []
    floors2: list[Floor] = []  # two floor processes sharing the queue
    drains: list[Drain] = []

    async def measure_floor(processes: int) -> None:
        measured = await floor(base_env, args.floor_jobs, logdir / "floor.log", processes)
        (floors if processes == 1 else floors2).append(measured)
        print(
            f"floor, {processes} process(es): {measured.rate:.0f} jobs/s, "
            f"{measured.cpu_ms:.2f} ms CPU per job"
            + (f" ({measured.run_twice} jobs run twice)" if measured.run_twice else "")
            + f"; longest gap between two jobs' first starts {measured.gap:.2f} s"
        )

    for processes in args.processes:
        await measure_floor(1)
        if processes == 2:
            await measure_floor(2)
        name = f"boomerang_bench_pipeline_{uuid.uuid4().hex[:6]}"
        url = await create_database(name)
        env = {**base_env, "DATABASE_URL": url}
        redis = Redis.from_url(REDIS)
        await redis.flushdb()
        await redis.aclose()
        try:
            stored_in = await store_deliveries(env, bodies, logdir / "serve.log")
            print(f"{args.events:,} deliveries stored and queued in {stored_in:.1f} s (no worker)")
            result = await drain(
                url,
                env,
                processes,
                args.events,
                logdir / "worker.log",
                args.py_spy,
                args.autoanalyze,
            )
        finally:
            await drop_database(name)
        drains.append(result)
        print(
            f"{processes} worker process(es): {result.events:,} events in {result.seconds:.1f} s "
            f"= {result.rate:.0f} events/s ({result.per_process:.0f} per process); "
            f"{result.wall:.1f} s from spawn; {result.cpu_ms:.2f} ms worker CPU per event, "
            f"{result.pg_cpu_ms:.2f} ms PostgreSQL CPU; "
            f"{result.check}"
        )
    await measure_floor(1)
    if 2 in args.processes:
        await measure_floor(2)
    redis = Redis.from_url(REDIS)
    await redis.flushdb()
    await redis.aclose()
    text = report(args, floors, floors2, drains)
    print(text)
    print(f"logs: {logdir}")
    if not args.no_write:
        with (ROOT / "bench" / "RESULTS.md").open("a") as results:
            results.write("\n" + text)


def report(
    args: argparse.Namespace, floors: list[Floor], floors2: list[Floor], drains: list[Drain]
) -> str:
    floor_rate = statistics.median(f.rate for f in floors)
    floor_cpu = statistics.median(f.cpu_ms for f in floors)
    lines = [
        f"## pipeline — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`./bench/pipeline/run --events {args.events} --floor-jobs {args.floor_jobs}"
        + f" --autoanalyze {args.autoanalyze:g}"
        + f"` (LOG_LEVEL={args.log_level}). `lscpu | head`:",
        "",
        "```",
        machine(),
        "```",
        "",
        f"{args.events:,} distinct signed orders/create deliveries stored through `boomerang "
        "serve` while no worker ran, then drained by `boomerang worker` processes (a fresh "
        "database per round); rate = events over the span of their processed_at. Floor: one "
        "worker process built like `boomerang worker` running near-empty jobs "
        f"({args.floor_jobs:,} per measure), measured before each round and after the last: "
        + ", ".join(f"{f.rate:.0f}" for f in floors)
        + f" jobs/s, median **{floor_rate:.0f}**; CPU per job "
        + ", ".join(f"{f.cpu_ms:.2f}" for f in floors)
        + f" ms, median {floor_cpu:.2f} ms. Load average at the end: {os.getloadavg()[0]:.2f}."
        + (
            f" Every {args.autoanalyze:g} s while the round drained, the tables autovacuum "
            "would analyze then (50 rows + 10 % changed) were ANALYZEd (--autoanalyze, the "
            "default since 2026-12-05 18:00, by autovacuum's rule since 22:15; its own connection, "
            "counted in the PostgreSQL CPU), standing in for autovacuum, which production has "
            "and this machine's PostgreSQL has off."
            if args.autoanalyze
            else " **With --autoanalyze 0**: the round's database was never ANALYZEd while it "
            "drained (the conditions before 2026-12-05 18:00; autovacuum is off here)."
        ),
        "",
        "| worker processes | events/s | per process | per process / floor "
        "| worker CPU per event | floor CPU per job / that | PostgreSQL CPU per event "
        "| from spawn | check |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for d in drains:
        lines.append(
            f"| {d.processes} | {d.rate:.0f} | {d.per_process:.0f} | "
            f"{d.per_process / floor_rate:.2f} | {d.cpu_ms:.2f} ms | {floor_cpu / d.cpu_ms:.2f} "
            f"| {d.pg_cpu_ms:.2f} ms | {d.wall:.1f} s | {d.check} |"
        )
    one = next((d for d in drains if d.processes == 1), None)
    two = next((d for d in drains if d.processes == 2), None)
    if one is not None:
        summary = f"One process: **{one.rate / floor_rate:.2f} of the floor** (goal ≥ 0.30)"
        if two is not None:
            summary += f"; two processes: **{two.rate / one.rate:.2f}×** one (goal ≥ 1.7×)"
        lines += ["", summary + "."]
    if floors2:
        floor2_rate = statistics.median(f.rate for f in floors2)
        floor2_cpu = statistics.median(f.cpu_ms for f in floors2)
        line = (
            "Two floor processes sharing the queue (measured before the 2-process round and "
            "after the last): "
            + ", ".join(f"{f.rate:.0f}" for f in floors2)
            + f" jobs/s in all, median **{floor2_rate:.0f}** = **{floor2_rate / floor_rate:.2f}×**"
            f" one floor process; CPU per job {floor2_cpu:.2f} ms; jobs run by both processes "
            + ", ".join(str(f.run_twice) for f in floors2)
            + " (counted once in the rate); longest gap between two jobs' first starts "
            + ", ".join(f"{f.gap:.2f}" for f in floors2)
            + " s."
        )
        if one is not None and two is not None:
            line += (
                f" Scaling with two processes: the pipeline **{two.rate / one.rate:.2f}×**, "
                f"the floor itself **{floor2_rate / floor_rate:.2f}×**, on this machine's 2 "
                "cores shared with PostgreSQL and Redis."
            )
        lines += ["", line]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--floor-jobs", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--log-level", default="INFO", help="the workers' LOG_LEVEL")
    parser.add_argument("--py-spy", help="path of py-spy: profile each worker (for study)")
    parser.add_argument(
        "--autoanalyze",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="ANALYZE the round's database every SECONDS while it drains, as autovacuum does "
        "on a production server (default 5; 0: never, the conditions before 2026-12-05 18:00)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, leave RESULTS.md")
    asyncio.run(main(parser.parse_args()))
