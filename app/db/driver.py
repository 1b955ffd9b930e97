"""The pooled connection's asyncpg driver, for the few hot statements that skip SQLAlchemy's
per-execute machinery: same pool, same connections, statements still written in Core and
compiled once (see `compile_for_driver`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection as asyncpg sees it, outside any transaction: each statement
    commits on its own (autocommit). Returned to the pool on exit."""
    pooled = await engine.raw_connection()
    try:
        driver = pooled.driver_connection
        if not isinstance(driver, asyncpg.Connection):
            raise TypeError(f"expected an asyncpg connection, got {type(driver).__name__}")
        yield driver
    finally:
        # The pool's reset-on-return may talk to the server: run it where SQLAlchemy can.
        await greenlet_spawn(pooled.close)


def compile_for_driver(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """SQL with $n placeholders, and the bind parameter names in $n order."""
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)  # noqa: S101  (a statement compiles to SQL)
    return str(compiled), tuple(compiled.positiontup or ())
