"""The chaos run (issue #13): a seeded day of three shops' traffic, compressed into about
90 seconds, against the app and the worker as real processes, while deliveries are duplicated,
held back and dropped, the worker and a web process are SIGKILLed, Redis is flushed and
restarted, PostgreSQL is restarted, and the Admin API answers 5xx, 429 and THROTTLED in bursts.
Afterwards every invariant is checked and every count printed (`pytest -m chaos -s`)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from app.db.migrate import upgrade
from app.loyalty.settings import update_settings
from devstore import SimulatorConfig, create_simulator
from devstore.traffic import TrafficEvent
from devstore.webhooks import Delivery
from tests.chaos import checks
from tests.chaos.harness import (
    ShopTraffic,
    SmtpInbox,
    World,
    app_environment,
    configure,
    drive,
    install,
    seeded_day,
    throttle_burst,
)
from tests.conftest import TEST_API_KEY, TEST_API_SECRET
from tests.support.groups import WHOLE_PRODUCT
from tests.support.processes import AppProcess, OwnPostgres, OwnRedis
from tests.support.services import free_port

pytestmark = [pytest.mark.chaos, WHOLE_PRODUCT]

SHOPS = ("chaos-one", "chaos-two", "chaos-three")
SEED = 13
TRAFFIC_SECONDS = 90.0
SETTLE_SECONDS = 90.0
# Shopify's webhook timings, compressed: its 4 hours of retries take 20 s here.
WEBHOOK_COMPRESSION = 720.0
HAS_RECONCILER = importlib.util.find_spec("app.reconcile") is not None
HAS_LOYALTY = importlib.util.find_spec("app.loyalty") is not None


def say(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201  (the figures are the point of this test)


@pytest.fixture
def chaos_dir() -> Iterator[Path]:
    """Outside pytest's base temporary directory: concurrent pytest runs set that back to 0700,
    and the embedded PostgreSQL runs as its own system user, which must traverse to its data."""
    path = Path(tempfile.mkdtemp(prefix="boomerang-chaos-"))
    path.chmod(0o755)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    try:
        yield path
    finally:
        # The embedded PostgreSQL's start may point XDG_RUNTIME_DIR under this directory.
        if runtime is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = runtime
        shutil.rmtree(path, ignore_errors=True)


async def test_chaos(chaos_dir: Path) -> None:
    tmp_path = chaos_dir
    started = time.monotonic()
    postgres = OwnPostgres(tmp_path)
    await asyncio.to_thread(postgres.start_first)
    redis = OwnRedis(tmp_path / "redis")
    smtp = SmtpInbox()
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    config = SimulatorConfig(
        api_key=TEST_API_KEY,
        api_secret=TEST_API_SECRET,
        app_url=app_url,
        webhook_time_compression=WEBHOOK_COMPRESSION,
    )
    _, sim = create_simulator(config)
    for name in SHOPS:
        sim.add_shop(name, email=f"owner@{name}.test", currency="EUR", iana_timezone="Europe/Paris")
    world: World | None = None
    try:
        redis.start()
        await asyncio.to_thread(upgrade, postgres.url)
        async with sim.serve(port=free_port()) as sim_url:
            env = app_environment(
                app_url=app_url,
                sim_url=sim_url,
                database_url=postgres.url,
                redis_url=redis.url,
                smtp_port=smtp.port,
                data=tmp_path / "data",
            )
            if HAS_RECONCILER:
                env["RECONCILE_EVERY_SECONDS"] = "15"
            logs = tmp_path / "logs"
            logs.mkdir()
            world = World(
                tmp=tmp_path,
                sim=sim,
                postgres=postgres,
                redis=redis,
                smtp=smtp,
                web=AppProcess(
                    ["serve", "--workers", "2", "--port", str(app_port)], env, logs / "web.log"
                ),
                worker=AppProcess(["worker"], env, logs / "worker.log"),
                app_url=app_url,
                sim_url=sim_url,
            )
            world.start_smtp()
            world.web.start()
            world.worker.start()
            try:
                await world.wait_ready()
                await _run(world, started)
            except BaseException:
                say("--- web log ---\n" + world.web.tail())
                say("--- worker log ---\n" + world.worker.tail())
                raise
            finally:
                await sim.webhooks.cancel_pending()
                # Its pooled connections, some to the web process the test SIGKILLed.
                await sim.webhooks.aclose()
    finally:
        if world is not None:
            world.stop_all()
            if keep := os.environ.get("CHAOS_KEEP_LOGS"):
                shutil.copytree(tmp_path / "logs", keep, dirs_exist_ok=True)
        else:
            redis.stop()
            postgres.close()


async def _run(world: World, started: float) -> None:
    sim = world.sim
    async with httpx.AsyncClient(timeout=30) as client:
        for name in SHOPS:
            domain = sim.shop(name).domain
            await install(client, world.app_url, domain)
            await configure(client, world.app_url, sim.mint_session_token(name))
    traffic = [
        seeded_day(sim, name, seed=SEED + index, sessions_per_day=40)
        for index, name in enumerate(SHOPS)
    ]
    engine = create_async_engine(world.postgres.url, poolclass=NullPool)
    try:
        # The day replayed happened after the install: the shops were installed an hour before
        # it began (the reconciler's first read-back starts at the install).
        day_start = min(t.events[0].at for t in traffic if t.events)
        if HAS_LOYALTY:
            await _turn_loyalty_on(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE shops SET installed_at = :at"),
                {"at": day_start - timedelta(hours=1)},
            )
        say(
            f"\nchaos: {sum(len(t.events) for t in traffic)} events of a seeded day for "
            f"{len(SHOPS)} shops over {TRAFFIC_SECONDS:.0f} s (set-up took "
            f"{time.monotonic() - started:.0f} s)"
        )
        world.faults.started = time.monotonic()
        drivers = [
            asyncio.create_task(
                drive(
                    sim,
                    shop_traffic,
                    seconds=TRAFFIC_SECONDS,
                    seed=SEED * 100 + index,
                    duplicate_rate=0.10,
                    reorder_rate=0.05,
                    drop_rate=0.05,
                    # Up to 30 minutes of Shopify time: 2.5 s here, dozens of later events.
                    max_hold=1800.0,
                )
            )
            for index, shop_traffic in enumerate(traffic)
        ]
        come_back: list[str] = []
        await _faults(world, engine, come_back)
        await asyncio.gather(*drivers)
        world.faults.note("traffic delivered")
        traffic_end = datetime.now(UTC)
        await _shoppers_come_back(world, engine, come_back, share=0.35)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await sim.webhooks.drain()
        world.faults.note(f"Shopify's retries done ({sim.webhooks.pending} still pending)")
        events, steps, messages, shops = await _settle(engine, SETTLE_SECONDS, traffic_end)
        world.faults.note(
            f"settled: {events} events unprocessed, {steps} steps and {messages} messages due, "
            f"{shops} shops not reconciled since the traffic ended"
        )
        await _check(world, engine, traffic, come_back)
    finally:
        await engine.dispose()
    say(f"chaos: {time.monotonic() - started:.0f} s in all")


async def _faults(world: World, engine: AsyncEngine, come_back: list[str]) -> None:
    """The schedule of faults over the traffic's 90 seconds."""
    sim, note = world.sim, world.faults.note

    async def at(second: float) -> None:
        wait = world.faults.started + second - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    await at(8)
    world.worker.kill()
    note("worker SIGKILLed")
    await at(11)
    world.worker.start()
    note("worker started again")
    await at(18)
    killed = world.web.kill_child()
    note(f"web process {killed} SIGKILLed (serve --workers 2)")
    await at(26)
    for name in SHOPS:
        sim.inject_faults(name, "503", count=4)
        sim.inject_faults(name, "502", count=2)
        sim.inject_faults(name, "429", count=3, retry_after=1)
    note("Admin API: 503 x4, 502 x2, 429 x3 for each shop")
    await at(34)
    await asyncio.to_thread(world.redis.flush)
    note("Redis flushed (FLUSHALL)")
    await at(44)
    await asyncio.to_thread(world.redis.stop)
    note("Redis stopped")
    await at(49)
    await asyncio.to_thread(world.redis.start)
    note("Redis started again")
    await at(55)
    await _shoppers_come_back(world, engine, come_back, share=0.35)
    await at(60)
    await asyncio.to_thread(world.postgres.stop)
    note("PostgreSQL stopped")
    await asyncio.sleep(2)
    await asyncio.to_thread(world.postgres.start)
    note("PostgreSQL started again")
    await at(72)
    note("Admin API: THROTTLED for 3 s (every shop's bucket kept empty)")
    await throttle_burst(sim, list(SHOPS), 3.0)
    await at(80)
    world.worker.kill()
    note("worker SIGKILLed")
    await asyncio.sleep(1.5)
    world.worker.start()
    note("worker started again")
    await at(84)
    for name in SHOPS:
        sim.inject_faults(name, "504", count=3)
    note("Admin API: 504 x3 for each shop")


async def _query(
    engine: AsyncEngine, sql: str, params: dict[str, object] | None = None
) -> list[tuple[object, ...]]:
    """A read that rides out the PostgreSQL restart (tried again for up to 20 s)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            async with engine.connect() as conn:
                return [tuple(row) for row in (await conn.execute(text(sql), params or {})).all()]
        except (OperationalError, DBAPIError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _shoppers_come_back(
    world: World, engine: AsyncEngine, done: list[str], *, share: float
) -> None:
    """A seeded share of the shoppers emailed a cart code buy their cart with it, now."""
    rows = await _query(
        engine,
        "SELECT DISTINCT ON (s.domain, m.subject_key) s.domain, m.subject_key, m.to_address, "
        "m.context->>'discount_code' FROM messages m JOIN shops s ON s.id = m.shop_id "
        "JOIN checkouts c ON c.shop_id = m.shop_id AND c.token = m.subject_key "
        "WHERE m.scenario = 'abandoned_cart' AND m.status = 'sent' "
        "AND m.context->>'discount_code' IS NOT NULL AND c.completed_at IS NULL "
        "ORDER BY s.domain, m.subject_key, m.step",
    )
    rng = random.Random(f"come-back-{len(done)}")
    picked = 0
    for domain, token, email, code in rows:
        if str(token) in done or rng.random() >= share:
            continue
        done.append(str(token))
        picked += 1
        await world.sim.checkout(
            str(domain).removesuffix(".myshopify.com"),
            email=str(email),
            discount_code=str(code),
            checkout_token=str(token),
        )
    world.faults.note(f"{picked} shoppers came back and bought with their cart code")


async def _settle(engine: AsyncEngine, seconds: float, since: datetime) -> tuple[object, ...]:
    """Until nothing is left to do (events, due steps, due messages, and with the reconciler
    a reconciliation of every shop begun after `since`) for 3 s, or `seconds`; returns what
    was still to do at the end."""
    behind = (
        "(SELECT count(*) FROM shops s LEFT JOIN reconcile_states r ON r.shop_id = s.id "
        "WHERE r.last_run_at IS NULL OR r.last_run_at < :since)"
        if HAS_RECONCILER
        else "0"
    )
    deadline = time.monotonic() + seconds
    quiet = 0
    pending: tuple[object, ...] = ()
    while time.monotonic() < deadline and quiet < 3:
        soon = datetime.now(UTC) + timedelta(seconds=15)
        (pending,) = await _query(
            engine,
            "SELECT (SELECT count(*) FROM webhook_events WHERE status = 'received'), "  # noqa: S608
            "(SELECT count(*) FROM scenario_runs WHERE status = 'active' "
            "AND next_step_at <= :soon), "
            "(SELECT count(*) FROM messages WHERE status IN ('queued', 'sending') "
            "AND scheduled_at <= :soon), " + behind,
            {"soon": soon, "since": since} if HAS_RECONCILER else {"soon": soon},
        )
        quiet = quiet + 1 if not any(pending) else 0
        await asyncio.sleep(1)
    return pending


async def _check(
    world: World, engine: AsyncEngine, traffic: list[ShopTraffic], come_back: list[str]
) -> None:
    say("\nchaos: what was sent")
    for t in traffic:
        say(
            f"  {t.shop}: {len(t.events)} events; {t.emitted} emitted, {t.duplicated} posted "
            f"twice, {t.held_back} held back (overtaken), {len(t.dropped)} dropped"
        )
    say(f"  come-back purchases with a cart code: {len(come_back)}")
    say(
        f"  worker starts: {world.worker.starts}; worker alive at the end: {world.worker.alive}; "
        f"web alive: {world.web.alive} (children {world.web.children()})"
    )
    dropped = [d for t in traffic for d in t.dropped]
    async with engine.connect() as conn:
        webhooks = await checks.webhooks_once(conn, world.sim, world.app_url)
        given_up = [
            d
            for d in world.sim.webhooks.deliveries
            if d.url.startswith(world.app_url) and not d.delivered
        ]
        reconciled = await checks.reconciled(
            conn,
            dropped + [checks.Dropped(d.shop, _as_event(d)) for d in given_up],
            reconciler=HAS_RECONCILER,
        )
        sent, unmatched = await checks.join_emails(conn, world.smtp.received)
        results = [
            webhooks,
            reconciled,
            checks.emails_once_and_in_order(sent, unmatched),
            await checks.none_after_order(conn, sent),
            await checks.codes_exist_once(conn, world.sim, sent),
            await checks.attribution_before_order(conn),
            await _loyalty(world),
        ]
    processes = checks.Check("processes")
    processes.figures.update(worker_alive=world.worker.alive, web_alive=world.web.alive)
    if not world.worker.alive:
        processes.violations.append("the worker exited on its own")
    if not world.web.alive:
        processes.violations.append("boomerang serve exited")
    results.append(processes)
    say("\nchaos: what is still waiting")
    for row in await _query(
        engine,
        "SELECT r.scenario, r.step_index, r.status, count(*), min(r.next_step_at) "
        "FROM scenario_runs r WHERE r.status = 'active' AND r.next_step_at <= now() "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2",
    ):
        say(f"  due step: {row}")
    for row in await _query(
        engine,
        "SELECT scenario, step, status, status_reason, count(*) FROM messages "
        "WHERE status IN ('queued', 'sending') AND scheduled_at <= now() "
        "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2",
    ):
        say(f"  due message: {row}")
    for row in await _query(
        engine,
        "SELECT topic, left(webhook_id, 60), last_error FROM webhook_events "
        "WHERE webhook_id LIKE 'reconcile:%' ORDER BY id LIMIT 8",
    ):
        say(f"  synthetic event: {row}")
    client = Redis.from_url(world.redis.url)
    try:
        async for key in client.scan_iter(match="boomerang:reconcile:lock:*"):
            say(f"  reconcile lock held: {key.decode()} (expires in {await client.ttl(key)} s)")
    finally:
        await client.aclose()
    say("\nchaos: invariants")
    for result in results:
        say(result.report())
    failed = [r for r in results if r.violations and not r.skipped]
    # The assertion carries the timeline and the broken checks' reports: CI keeps only the
    # tail of the output, where the figures printed above may not reach.
    timeline = "\n".join(f"  [{at:6.1f} s] {what}" for at, what in world.faults.entries)
    broken = "\n".join(r.report() for r in failed)
    assert not failed, f"invariants broken:\n{broken}\ntimeline:\n{timeline}"


def _as_event(delivery: Delivery) -> TrafficEvent:
    return TrafficEvent(datetime.now(UTC), delivery.topic, delivery.payload)


async def _turn_loyalty_on(engine: AsyncEngine) -> None:
    """Every shop's program on, earning on paid orders and at sign-up, so the ledger check
    has balances to prove (no admin route turns it on yet: the program's own service does)."""
    async with AsyncSession(engine) as session, session.begin():
        for shop_id in await session.scalars(text("SELECT id FROM shops")):
            await update_settings(session, shop_id, {"enabled": True, "signup": {"enabled": True}})


async def _loyalty(world: World) -> checks.Check:
    check = checks.Check("every loyalty balance equals its ledger")
    if not HAS_LOYALTY:
        check.skipped = "no loyalty on this branch (app/loyalty)"
        return check
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", "loyalty", "verify"],
        env=world.web.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    check.figures["boomerang loyalty verify"] = (result.stdout + result.stderr).strip()[-500:]
    if result.returncode != 0:
        check.violations.append(f"exit {result.returncode}")
    if " 0 customers," in result.stdout:
        check.violations.append("no balance to prove: the program earned nothing")
    return check
