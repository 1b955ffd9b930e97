"""With no DATABASE_URL / REDIS_URL, real embedded servers start and answer."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from app.platform.embedded import ensure_services


async def test_embedded_postgres_and_redis_start_and_round_trip(tmp_path: Path) -> None:
    urls = ensure_services(tmp_path / "data", None, None)
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

    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()
    assert (tmp_path / "data" / "redis" / "appendonly.aof").exists() or any(
        (tmp_path / "data" / "redis").glob("appendonly*")
    )
