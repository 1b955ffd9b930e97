"""With no DATABASE_URL / REDIS_URL, real embedded servers start and answer."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from app.platform.embedded import ensure_services


@pytest.fixture
def data_dir() -> Path:
    """Under the system temp dir, not pytest's: every pytest run starting on the machine makes
    /tmp/pytest-of-<user> private again (0700), which cuts off the dedicated user embedded
    PostgreSQL runs as under root, mid-initdb, when several runs share one machine."""
    root = Path(tempfile.mkdtemp(prefix="boomerang-embedded-test-"))
    # Registered before the servers start, so it runs after their own stop at exit.
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root / "data"


async def test_embedded_postgres_and_redis_start_and_round_trip(data_dir: Path) -> None:
    urls = ensure_services(data_dir, None, None)
    assert urls.database_url is not None
    assert urls.database_url.startswith("postgresql+asyncpg://")
    assert urls.redis_url is not None

    conn = await asyncpg.connect(urls.database_url.replace("+asyncpg", ""))
    await conn.execute("CREATE TABLE round_trip (v text)")
    await conn.execute("INSERT INTO round_trip VALUES ('boomerang')")
    assert await conn.fetchval("SELECT v FROM round_trip") == "boomerang"
    await conn.close()

    redis = Redis.from_url(urls.redis_url)
    await redis.set("round-trip", "boomerang")
    assert await redis.get("round-trip") == b"boomerang"
    await redis.aclose()

    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert (data_dir / "redis" / "appendonly.aof").exists() or any(
        (data_dir / "redis").glob("appendonly*")
    )
