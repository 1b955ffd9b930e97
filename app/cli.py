"""The `boomerang` command: serve, worker, migrate, demo, simulator, loyalty verify."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.logs import configure_logging
from app.platform.children import follow_parent, sigterm_as_interrupt
from app.platform.embedded import EmbeddedServiceError, ensure_services
from app.settings import Settings, SettingsError, load_settings

log = structlog.get_logger(__name__)


class StartupError(Exception):
    """Something the service needs is missing or unreachable; the message says what."""


async def _check_database(url: str) -> None:
    from app.db.engine import create_engine

    try:
        make_url(url)
    except ArgumentError as exc:
        raise StartupError(f"DATABASE_URL is malformed: {exc}") from None
    engine = create_engine(url, pool_size=1)
    try:
        async with asyncio.timeout(10), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] or type(exc).__name__
        raise StartupError(
            f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)} "
            f"cannot be reached: {reason}"
        ) from None
    finally:
        await engine.dispose()


class RedisUnreachable(StartupError):
    """The Redis URL is well formed, but nothing answers there (yet)."""


async def _check_redis(url: str) -> None:
    try:
        client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    except ValueError as exc:
        raise StartupError(f"REDIS_URL is malformed: {exc}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        raise RedisUnreachable(f"Redis at {url} cannot be reached: {exc}") from None
    finally:
        await client.aclose()


def prepare(settings: Settings, *, wait_for_redis: bool = False) -> Settings:
    """Start embedded services where no URL is set, check both answer, export the URLs so
    child processes (uvicorn workers) see the same servers. `wait_for_redis`: a Redis that
    does not answer yet (restarting, loading its data) is no error; the caller waits for it."""
    try:
        urls = ensure_services(settings.data_dir, settings.database_url, settings.redis_url)
    except EmbeddedServiceError as exc:
        raise StartupError(str(exc)) from None
    resolved = settings.model_copy(
        update={"database_url": urls.database_url, "redis_url": urls.redis_url}
    )
    asyncio.run(_check_database(resolved.database))
    try:
        asyncio.run(_check_redis(resolved.redis))
    except RedisUnreachable:
        if not wait_for_redis:
            raise
    os.environ["DATABASE_URL"] = resolved.database
    os.environ["REDIS_URL"] = resolved.redis
    return resolved


def _migrate(settings: Settings) -> None:
    from app.db.migrate import upgrade

    upgrade(settings.database)
    log.info("database migrated to the latest revision")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from app.web.server import uvicorn_options

    settings = prepare(settings)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="boomerang-metrics-")
    uvicorn.run(
        "app.main:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        **uvicorn_options(settings),
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from jobs.worker import DatabaseNotMigrated, run_worker

    # Redis restarting or loading its data is no reason not to start: the worker waits.
    settings = prepare(settings, wait_for_redis=True)
    try:
        run_worker(settings, burst=args.burst)
    except DatabaseNotMigrated as exc:
        raise StartupError(str(exc)) from None


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    _migrate(prepare(settings))


def cmd_rotate_keys(settings: Settings, args: argparse.Namespace) -> None:
    from app.db.engine import create_engine, create_sessionmaker
    from app.installs.key_rotation import rotate_token_keys
    from app.shopify.token_cipher import TokenCipher

    settings = prepare(settings)

    async def run() -> int:
        engine = create_engine(settings.database, pool_size=1)
        try:
            return await rotate_token_keys(
                create_sessionmaker(engine), TokenCipher.from_settings(settings)
            )
        finally:
            await engine.dispose()

    log.info("shopify tokens re-encrypted with the newest key", shops=asyncio.run(run()))


def cmd_loyalty_verify(settings: Settings, args: argparse.Namespace) -> None:
    """Print what was checked and every difference; exit 1 when there is one."""
    from app.db.engine import create_engine, create_sessionmaker
    from app.loyalty.verify import Report, verify

    settings = prepare(settings)

    async def run() -> Report:
        engine = create_engine(settings.database, pool_size=1)
        try:
            async with create_sessionmaker(engine).begin() as session:
                # One snapshot: every check reads the same state of the ledger.
                await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                return await verify(session)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    lines = [
        f"loyalty verify: {report.customers} customers, {report.entries} ledger entries, "
        f"{report.orders} orders that earned points",
        f"  cached balance = sum of the ledger, for {report.customers} customers",
        f"  points taken back = what refunds and cancellations imply, for {report.orders} orders",
        f"  every redemption debited once, with its code or its points back, for "
        f"{report.redemptions} redemptions",
        *(f"  DIFFERENCE {difference}" for difference in report.differences),
        f"{len(report.differences)} differences" if report.differences else "no differences",
    ]
    print("\n".join(lines))  # noqa: T201
    if report.differences:
        sys.exit(1)


def cmd_kpis_rebuild(settings: Settings, args: argparse.Namespace) -> None:
    """Recompute every shop's KPI roll-ups (or one shop's) from the raw rows."""
    from datetime import UTC, datetime

    from app.db.engine import create_engine, create_sessionmaker
    from app.kpis.rollup import all_shop_ids, rebuild_shop

    settings = prepare(settings)

    async def run() -> list[tuple[int, int]]:
        engine = create_engine(settings.database, pool_size=1)
        done: list[tuple[int, int]] = []
        try:
            sessions = create_sessionmaker(engine)
            async with sessions.begin() as session:
                shops = [args.shop] if args.shop else await all_shop_ids(session)
            for shop_id in shops:
                async with sessions.begin() as session:
                    done.append((shop_id, await rebuild_shop(session, shop_id, datetime.now(UTC))))
        finally:
            await engine.dispose()
        return done

    for shop_id, days in asyncio.run(run()):
        print(f"kpis rebuilt: shop {shop_id}, {days} days")  # noqa: T201


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from app.demo import DemoOptions, fresh_demo_services, run_demo

    # SIGTERM stops the demo as Ctrl-C does, with every process and server it started.
    sigterm_as_interrupt()
    settings = asyncio.run(fresh_demo_services(prepare(settings)))
    _migrate(settings)
    run_demo(settings, DemoOptions(port=args.port, once=args.once, seed=args.seed, days=args.days))


def cmd_simulator(args: argparse.Namespace) -> None:
    from devstore.config import SimulatorConfig
    from devstore.server import run

    config = SimulatorConfig(
        api_key=os.environ.get("SHOPIFY_API_KEY", SimulatorConfig.api_key),
        api_secret=os.environ.get("SHOPIFY_API_SECRET", SimulatorConfig.api_secret),
        app_url=os.environ.get("APP_URL", SimulatorConfig.app_url),
        webhook_time_compression=args.webhook_compression,
        access_token_lifetime=args.token_lifetime,
    )
    run(host=args.host, port=args.port, config=config, shops=args.shop)


def _positive(text: str) -> float:
    """An argparse type: a number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero, not {text}")
    return value


def cmd_healthcheck(args: argparse.Namespace) -> None:
    from app.healthcheck import Role, healthy

    ok, why = healthy(
        Role(args.role),
        port=args.port,
        redis_url=os.environ.get("REDIS_URL"),
        data_dir=Path(os.environ.get("DATA_DIR", ".boomerang")),
    )
    print(f"boomerang healthcheck: {'healthy' if ok else 'unhealthy'}: {why}")  # noqa: T201
    sys.exit(0 if ok else 1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boomerang", description="Retention automation for Shopify merchants."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web app (webhooks, OAuth, admin API)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    worker = sub.add_parser("worker", help="run the background worker")
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    sub.add_parser("migrate", help="upgrade the database to the latest migration")
    sub.add_parser(
        "rotate-keys",
        help="re-encrypt stored Shopify tokens with the first TOKEN_ENCRYPTION_KEYS key",
    )
    loyalty = sub.add_parser("loyalty", help="the loyalty program's ledger")
    loyalty_sub = loyalty.add_subparsers(dest="loyalty_command", required=True)
    loyalty_sub.add_parser(
        "verify",
        help="prove every cached balance equals its ledger and the ledger its order history",
    )
    kpis = sub.add_parser("kpis", help="the analytics roll-ups")
    kpis_sub = kpis.add_subparsers(dest="kpis_command", required=True)
    rebuild = kpis_sub.add_parser("rebuild", help="rebuild the KPI roll-ups from the raw rows")
    rebuild.add_argument("--shop", type=int, help="one shop's id (default: every shop)")
    demo = sub.add_parser("demo", help="run the whole product against the Shopify simulator")
    demo.add_argument("--once", action="store_true", help="exit after printing the report")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument(
        "--days", type=_positive, default=7.0, help="simulated days of store traffic (7)"
    )
    demo.add_argument("--seed", type=int, default=7, help="seed of the store traffic (7)")
    sim = sub.add_parser("simulator", help="run the Shopify simulator alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8900)
    sim.add_argument("--shop", action="append", help="a shop to create at start (repeatable)")
    sim.add_argument(
        "--webhook-compression",
        type=_positive,
        default=1.0,
        help="divide Shopify's webhook timings (retries, delays, shop/redact) by this (1)",
    )
    sim.add_argument(
        "--token-lifetime",
        type=_positive,
        default=3600.0,
        help="seconds an expiring access token lives (3600, as at Shopify)",
    )
    health = sub.add_parser(
        "healthcheck", help="exit 0 when this container's web server or worker is alive"
    )
    health.add_argument("--role", choices=["auto", "web", "worker"], default="auto")
    health.add_argument("--port", type=int, default=8000, help="the web server's port")
    return parser


COMMANDS = {
    "serve": cmd_serve,
    "worker": cmd_worker,
    "migrate": cmd_migrate,
    "rotate-keys": cmd_rotate_keys,
    "demo": cmd_demo,
    "loyalty": cmd_loyalty_verify,
    "kpis": cmd_kpis_rebuild,
}


def main(argv: Sequence[str] | None = None) -> None:
    follow_parent()  # a process the demo started ends with it
    args = build_parser().parse_args(argv)
    if args.command == "simulator":
        configure_logging("INFO")
        cmd_simulator(args)
        return
    if args.command == "healthcheck":
        cmd_healthcheck(args)
        return
    try:
        overrides = _demo_defaults() if args.command == "demo" else {}
        settings = load_settings(**overrides)
        configure_logging(settings.log_level, settings.log_format)
        COMMANDS[args.command](settings, args)
    except (SettingsError, StartupError) as exc:
        print(f"boomerang: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def _demo_defaults() -> dict[str, object]:
    """The demo plays its own app against the simulator: secrets it can make up itself."""
    from app.demo import demo_settings_overrides

    return demo_settings_overrides()


if __name__ == "__main__":
    main()
