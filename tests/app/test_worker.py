"""The worker refuses to start on a database that is behind the code."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from app.platform.resources import build_resources
from app.settings import Settings
from jobs.worker import DatabaseNotMigrated, check_schema
from tests.support.services import unique_name, with_database


async def test_worker_accepts_a_migrated_database(settings: Settings) -> None:
    resources = await build_resources(settings)
    try:
        await check_schema(resources)
    finally:
        await resources.close()


async def test_worker_refuses_an_unmigrated_database(
    settings: Settings, postgres_server: str
) -> None:
    name = unique_name("boomerang_unmigrated")
    admin = await asyncpg.connect(
        with_database(postgres_server, "postgres").replace("+asyncpg", "")
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    resources = await build_resources(
        settings.model_copy(update={"database_url": with_database(postgres_server, name)})
    )
    try:
        with pytest.raises(DatabaseNotMigrated, match="run `boomerang migrate` first"):
            await check_schema(resources)
    finally:
        await resources.close()
        await asyncio.sleep(0)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
