"""Shared fixtures: a real database and Redis per test run, settings, the app under test."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.main import create_app
from app.platform.composition import PLATFORM
from app.platform.resources import Resources
from app.settings import Settings
from devstore.config import SimulatorConfig
from devstore.server import Simulator
from tests.support.network import NoNetwork
from tests.support.services import (
    claim_redis_db,
    postgres_server_url,
    redis_server_url,
    unique_name,
    with_database,
)

# ≥ 32 bytes: PyJWT warns (and warnings are errors here) on shorter HMAC keys.
TEST_API_KEY = "test-client-id-0123456789abcdef"
TEST_API_SECRET = "test-client-secret-0123456789abcdef-0123456789"
TEST_FERNET_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def services_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def postgres_server(services_root: Path) -> str:
    return postgres_server_url(services_root)


@pytest.fixture(scope="session")
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    """A fresh database for this test run, migrated to head, dropped at the end."""
    name = unique_name("boomerang_test")
    admin = await asyncpg.connect(_asyncpg_dsn(with_database(postgres_server, "postgres")))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(postgres_server, name)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def redis_url(services_root: Path) -> AsyncIterator[str]:
    """A Redis db of this run's own (1–15), flushed before and after."""
    server = redis_server_url(services_root)
    lease = await claim_redis_db(server)
    url = f"{server}/{lease.db}"
    client = Redis.from_url(url)
    await client.flushdb()
    try:
        yield url
    finally:
        await client.flushdb()
        await client.aclose()
        await lease.release()


@pytest.fixture
async def clean_redis(redis_url: str) -> AsyncIterator[str]:
    """The run's Redis db, emptied after the test: row ids restart with each test's truncate,
    so job ids (and arq's kept results) of one test must not meet the next's."""
    yield redis_url
    client = Redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def settings(clean_database: str, clean_redis: str, tmp_path: Path) -> Settings:
    return Settings(
        shopify_api_key=TEST_API_KEY,
        shopify_api_secret=TEST_API_SECRET,  # type: ignore[arg-type]
        token_encryption_keys=TEST_FERNET_KEY,  # type: ignore[arg-type]
        database_url=clean_database,
        redis_url=clean_redis,
        app_url="http://testserver",
        data_dir=tmp_path / "data",
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine, clean_database: str) -> async_sessionmaker[AsyncSession]:
    return PLATFORM.sessionmaker(engine)


@pytest.fixture
async def clean_database(engine: AsyncEngine) -> AsyncIterator[str]:
    """The test run's database, emptied after the test (every table but alembic_version)."""
    yield str(engine.url.render_as_string(hide_password=False))
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def no_network() -> NoNetwork:
    """The outgoing transport of the `app` fixture: refuses every request, and keeps them."""
    return NoNetwork()


@pytest.fixture
async def app(settings: Settings, no_network: NoNetwork) -> AsyncIterator[FastAPI]:
    """The app with no Shopify at all: every outgoing request is refused, so a test that
    reaches for Shopify sees it unreachable and never touches the real network."""
    application = create_app(settings, http_transport=no_network)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def app_with_previous_secret(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app during a secret rotation: the previous secret still verifies."""
    rotated = settings.model_copy(
        update={"shopify_api_secret_previous": SecretStr(PREVIOUS_TEST_API_SECRET)}
    )
    application = create_app(rotated, http_transport=NoNetwork())
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


PREVIOUS_TEST_API_SECRET = "previous-client-secret-0123456789abcdef-012345"


# -- the Shopify simulator, in process: the app reaches it through its shared httpx client ------

SIM_ADMIN_URL_TEMPLATE = "http://sim/{shop}"


@pytest.fixture
async def sim(redis_url: str) -> AsyncIterator[Simulator]:
    config = SimulatorConfig(
        api_key=TEST_API_KEY,
        api_secret=TEST_API_SECRET,
        app_url="http://testserver",
        webhook_time_compression=1_000_000.0,
    )
    simulator = Simulator(config)
    yield simulator
    await simulator.webhooks.aclose()


@pytest.fixture
def sim_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"shopify_admin_url_template": SIM_ADMIN_URL_TEMPLATE})


@pytest.fixture
async def sim_app(sim_settings: Settings, sim: Simulator) -> AsyncIterator[FastAPI]:
    application = create_app(sim_settings, http_transport=httpx.ASGITransport(app=sim.app()))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def sim_client(sim_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def resources(sim_app: FastAPI) -> Resources:
    found: Resources = sim_app.state.resources
    return found
