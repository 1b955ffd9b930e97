"""The pooled connection's asyncpg driver, for the few hot statements that skip SQLAlchemy's
per-execute machinery: same pool, same connections, statements still written in Core and
compiled once (see `compile_for_driver`).

SQLAlchemy never sees what happens on the driver, so a connection the server dropped (a
PostgreSQL restart) would go back to the pool and fail every statement after it: this module
does what SQLAlchemy does on a disconnect, invalidating the connection and the pool's older
ones, so the next checkout connects anew. No ping per checkout: the hot path pays nothing
until a statement fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
import structlog
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

log = structlog.get_logger(__name__)

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]

T = TypeVar("T")

# The server ended the session (class 08, or an administrator's or crash shutdown, 57P01-03):
# the connection is gone, whatever asyncpg has noticed of it yet.
_SERVER_WENT_AWAY = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    OSError,
)


class StaleConnection(Exception):
    """A pooled connection turned out dead (the server restarted or dropped it); it and the
    pool's older connections were invalidated. Raised from the driver's own error."""


def _is_disconnect(error: BaseException, driver: asyncpg.Connection) -> bool:
    return isinstance(error, _SERVER_WENT_AWAY) or driver.is_closed()


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection as asyncpg sees it, outside any transaction: each statement
    commits on its own (autocommit). Returned to the pool on exit; a connection the server
    dropped is invalidated (with every pooled one older than it) and StaleConnection raised."""
    pooled = await engine.raw_connection()
    try:
        driver = pooled.driver_connection
        if not isinstance(driver, asyncpg.Connection):
            raise TypeError(f"expected an asyncpg connection, got {type(driver).__name__}")
        try:
            yield driver
        except Exception as exc:
            if not _is_disconnect(exc, driver):
                raise
            await greenlet_spawn(_invalidate, engine, pooled, exc)
            raise StaleConnection(str(exc) or type(exc).__name__) from exc
    finally:
        # The pool's reset-on-return may talk to the server: run it where SQLAlchemy can.
        await greenlet_spawn(pooled.close)


def _invalidate(engine: AsyncEngine, pooled: PoolProxiedConnection, error: Exception) -> None:
    # What SQLAlchemy's Connection does on a disconnect error: this connection is closed, and
    # every one opened before it is recycled at its next checkout (a restart killed them all,
    # and retrying through each of them in turn would fail as many requests).
    engine.pool._invalidate(pooled, error)
    log.warning("database connection lost: the pool reconnects", reason=str(error))


async def run_on_driver(
    engine: AsyncEngine, operation: Callable[[asyncpg.Connection], Awaitable[T]]
) -> T:
    """`operation` on a pooled driver connection; when that connection turns out dead, once
    more on a fresh one. Only for an operation that is safe to run twice (one idempotent
    statement, or statements each committed on their own and idempotent)."""
    try:
        async with driver_connection(engine) as driver:
            return await operation(driver)
    except StaleConnection:
        async with driver_connection(engine) as driver:
            return await operation(driver)


def compile_for_driver(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """SQL with $n placeholders, and the bind parameter names in $n order."""
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)  # noqa: S101  (a statement compiles to SQL)
    return str(compiled), tuple(compiled.positiontup or ())
