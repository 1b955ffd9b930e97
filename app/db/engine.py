"""Engine and session factory: built once per process by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        # Overflow connections are opened and closed per burst: under webhook load that churn
        # (TLS negotiation included) cost more than waiting for a pooled connection.
        max_overflow=0,
        # No ping round trip per checkout (10 % of the webhook route): a connection the server
        # dropped fails its statement once and SQLAlchemy invalidates the pool.
        pool_pre_ping=False,
        # asyncpg's server-side prepared statement cache is per connection; keep SQLAlchemy's too.
        # No JIT: PostgreSQL compiles a statement whose estimated cost passes jit_above_cost
        # (100,000), and with inlining and optimization past 500,000. The app's statements are
        # short or paged, and the few that pass (the KPI roll-up of a busy day) spent 10 times
        # their run compiling: 729 ms against 73 ms over 12,000 orders (bench/RESULTS.md).
        connect_args={"server_settings": {"application_name": "boomerang", "jit": "off"}},
    )


def create_sessionmaker(
    engine: AsyncEngine, *, info: Mapping[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions over `engine`; `info` is what each session carries (the process's wiring:
    app.platform.composition.Platform.sessionmaker)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=dict(info or {}))
