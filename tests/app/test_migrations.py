"""Migrations apply on an empty database and come all the way back down, and they build
exactly the schema the models describe."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import app.models  # noqa: F401  (registers every table on the metadata)
from app.db.base import Base
from app.db.migrate import current_revision, downgrade, head_revision, upgrade
from tests.support.services import unique_name, with_database


async def test_upgrade_then_downgrade_base_on_an_empty_database(postgres_server: str) -> None:
    name = unique_name("boomerang_migrations")
    admin = await asyncpg.connect(
        with_database(postgres_server, "postgres").replace("+asyncpg", "")
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(postgres_server, name)
    engine = create_async_engine(url)
    try:
        await asyncio.to_thread(upgrade, url)
        assert await current_revision(engine) == head_revision()
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert {
            "shops",
            "webhook_events",
            "customers",
            "checkouts",
            "orders",
            "refunds",
            "fulfillments",
        } <= tables

        await asyncio.to_thread(downgrade, url, "base")
        left = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert left == {"alembic_version"}
        assert await current_revision(engine) is None
        await conn.close()
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_models_match_the_migrated_schema(engine: AsyncEngine) -> None:
    """What `alembic revision --autogenerate` would write against the test run's database
    (migrated to head): nothing. A model changed without its migration (or the reverse,
    e.g. an index left on the old columns) shows up here."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []
