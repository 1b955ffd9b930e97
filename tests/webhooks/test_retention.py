"""Retention: the raw body of a processed event is dropped WEBHOOK_BODY_RETENTION_DAYS after
receipt; the row stays, so a late retry of the same delivery is still a duplicate. Newer
events, events still waiting and failed events (replayable) keep their body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import WebhookEvent
from app.platform.resources import Resources, build_resources
from app.settings import Settings
from jobs.retention import purge_old_webhook_bodies
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import job_context, run_worker_burst
from webhooks.retention import purge_webhook_bodies

RETENTION_DAYS = 30


@pytest.fixture
async def worker_resources(settings: Settings) -> AsyncIterator[Resources]:
    resources = await build_resources(
        settings.model_copy(update={"webhook_body_retention_days": RETENTION_DAYS})
    )
    yield resources
    await resources.close()


async def received_ago(
    sessions: async_sessionmaker[AsyncSession], webhook_id: str, age: timedelta
) -> None:
    """Move one event's receipt into the past, as if it had arrived `age` ago."""
    async with sessions.begin() as session:
        await session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.webhook_id == webhook_id)
            .values(received_at=WebhookEvent.received_at - age)
        )


async def events(sessions: async_sessionmaker[AsyncSession]) -> dict[str, WebhookEvent]:
    async with sessions.begin() as session:
        rows = (await session.scalars(select(WebhookEvent))).all()
    return {row.webhook_id: row for row in rows}


async def test_old_processed_bodies_are_purged_and_the_rest_kept(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    worker_resources: Resources,
) -> None:
    await install_shop(sessions)
    order = fixture_bytes("orders/create")
    assert (await deliver(client, "orders/create", order, webhook_id="old-processed")).is_success
    assert (await deliver(client, "orders/create", order, webhook_id="new-processed")).is_success
    # A valid signature over a body that is not JSON: failed at once, replayable from the admin.
    assert (
        await deliver(client, "orders/create", b"{not json", webhook_id="old-failed")
    ).is_success
    await run_worker_burst(settings)
    # Stored while the worker was away: still waiting, whatever its age.
    assert (await deliver(client, "orders/create", order, webhook_id="old-waiting")).is_success

    for webhook_id in ("old-processed", "old-failed", "old-waiting"):
        await received_ago(sessions, webhook_id, timedelta(days=RETENTION_DAYS, hours=1))
    await received_ago(sessions, "new-processed", timedelta(days=RETENTION_DAYS - 1))

    assert await purge_old_webhook_bodies(job_context(worker_resources)) == 1

    rows = await events(sessions)
    assert {key: (row.status, row.body is None) for key, row in rows.items()} == {
        "old-processed": ("processed", True),
        "new-processed": ("processed", False),
        "old-failed": ("failed", False),
        "old-waiting": ("received", False),
    }
    assert rows["new-processed"].body == order.decode()
    # Nothing left to purge: a second run changes nothing.
    assert await purge_old_webhook_bodies(job_context(worker_resources)) == 0

    # Shopify retries the purged delivery: the kept row still deduplicates it.
    again = await deliver(client, "orders/create", order, webhook_id="old-processed")
    assert again.is_success
    assert len(await events(sessions)) == 4


async def test_purge_works_through_a_backlog_in_batches(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await install_shop(sessions)
    ids = [f"backlog-{n}" for n in range(5)]
    for webhook_id in ids:
        body = fixture_bytes("orders/create")
        assert (await deliver(client, "orders/create", body, webhook_id=webhook_id)).is_success
    await run_worker_burst(settings)
    for webhook_id in ids:
        await received_ago(sessions, webhook_id, timedelta(days=2))

    # Two batches of two per run: a run stops there, the next one goes on.
    first = await purge_webhook_bodies(
        sessions, older_than=timedelta(days=1), batch_size=2, max_batches=2
    )
    assert first == 4
    assert sum(row.body is None for row in (await events(sessions)).values()) == 4
    second = await purge_webhook_bodies(
        sessions, older_than=timedelta(days=1), batch_size=2, max_batches=2
    )
    assert second == 1
    assert all(row.body is None for row in (await events(sessions)).values())
