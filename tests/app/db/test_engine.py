"""The engine's connections: settings every statement of the app runs under."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


async def test_no_statement_is_compiled_by_postgresqls_jit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        # The server's default is on; the KPI roll-up of a busy day spent 10 times its run
        # compiling when it was.
        assert await session.scalar(text("SHOW jit")) == "off"
        # A statement costed far past jit_above_cost is planned without JIT.
        plan = await session.scalars(
            text(
                "EXPLAIN SELECT sum(a.n * b.n) "
                "FROM generate_series(1, 3000) AS a(n), generate_series(1, 3000) AS b(n)"
            )
        )
        assert not any(line.startswith("JIT") for line in plan)
