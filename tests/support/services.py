"""Real PostgreSQL and Redis for the tests: the machine's own when they answer on loopback,
embedded ones otherwise. Each test run gets its own database and Redis db, dropped after."""

from __future__ import annotations

import errno
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from redis.asyncio import Redis

from app.platform.embedded import start_embedded_postgres, start_embedded_redis


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _force_embedded() -> bool:
    """BOOMERANG_TEST_EMBEDDED=1 runs the suite as on a machine without PostgreSQL and Redis."""
    return os.environ.get("BOOMERANG_TEST_EMBEDDED") == "1"


def postgres_server_url(tmp_root: Path) -> str:
    """A URL to a PostgreSQL server (database part left for the caller)."""
    if url := os.environ.get("TEST_POSTGRES_URL"):
        return url.rstrip("/")
    if not _force_embedded() and _answers("127.0.0.1", 5432):
        return "postgresql+asyncpg://postgres@127.0.0.1:5432"
    embedded = start_embedded_postgres(tmp_root)
    # postgresql+asyncpg://postgres@/boomerang?host=...: keep the query, drop the name.
    base, query = embedded.split("?", 1)
    return base.rsplit("/", 1)[0] + "/?" + query


def with_database(server_url: str, database: str) -> str:
    if "?" in server_url:
        base, query = server_url.split("?", 1)
        return f"{base.rstrip('/')}/{database}?{query}"
    return f"{server_url}/{database}"


def redis_server_url(tmp_root: Path) -> str:
    if url := os.environ.get("TEST_REDIS_URL"):
        return url.rstrip("/")
    if not _force_embedded() and _answers("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379"
    return start_embedded_redis(tmp_root).rsplit("/", 1)[0]


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Started = TypeVar("Started")


def on_a_free_port(start: Callable[[int], Started], attempts: int = 5) -> Started:
    """`start(port)` for a server that must be given its port (aiosmtpd's Controller cannot
    take port 0): a port free a moment ago may be taken by another test process before the
    server binds it, and then the server starts on another."""
    for attempt in range(1, attempts + 1):
        try:
            return start(free_port())
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or attempt == attempts:
                raise
    raise AssertionError("unreachable")


# Test runs on one machine share its Redis: each test process claims a db (1–15) with a lease
# in db 0, so concurrent runs (and the processes of one parallel run) never flush each other's
# keys. A crashed run's lease expires on its own.
_LEASE_KEY = "boomerang:test-run-db:{db}"
_LEASE_SECONDS = 3 * 3600


@dataclass
class RedisDbLease:
    server: str
    db: int
    holder: str

    async def release(self) -> None:
        client = Redis.from_url(f"{self.server}/0")
        try:
            key = _LEASE_KEY.format(db=self.db)
            if (await client.get(key)) == self.holder.encode():
                await client.delete(key)
        finally:
            await client.aclose()


async def claim_redis_db(server: str) -> RedisDbLease:
    """TEST_REDIS_DB pins the db; otherwise the first of 1–15 no other live run holds (each
    test process of a parallel run claims its own)."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    if pinned := os.environ.get("TEST_REDIS_DB"):
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            raise RuntimeError(
                f"TEST_REDIS_DB={pinned} pins one Redis db, and this run has several test "
                "processes that would empty each other's keys: run serially (-n 0), or unset "
                "TEST_REDIS_DB so that each process claims a db of its own."
            )
        return RedisDbLease(server, int(pinned), holder)
    client = Redis.from_url(f"{server}/0")
    try:
        for db in range(1, 16):
            if await client.set(_LEASE_KEY.format(db=db), holder, nx=True, ex=_LEASE_SECONDS):
                return RedisDbLease(server, db, holder)
    finally:
        await client.aclose()
    raise RuntimeError(
        "All 15 test Redis dbs are held by other test runs; wait for one to end, or set "
        "TEST_REDIS_DB, or delete the boomerang:test-run-db:* keys in db 0."
    )
