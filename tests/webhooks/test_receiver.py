"""POST /webhooks: verify, store once, enqueue, answer 200 without waiting for processing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.models import Order, WebhookEvent
from app.queue.arq_backend import queue_depth
from app.settings import Settings
from app.shopify.webhook_verification import sign
from tests.support.fixtures import fixture_bytes
from tests.support.services import free_port
from tests.support.webhooks import SHOP, deliver, install_shop, shopify_headers
from tests.support.worker import run_worker_burst
from webhooks.receiver import MAX_BODY_BYTES


async def events(sessions: async_sessionmaker[AsyncSession]) -> list[WebhookEvent]:
    async with sessions.begin() as session:
        return list((await session.execute(select(WebhookEvent))).scalars())


async def queued_jobs(redis_url: str) -> int:
    client = Redis.from_url(redis_url)
    try:
        # Due now, in the queue's schedule or in their shop's turn (app/queue/fair.py).
        return (await queue_depth(client)).ready
    finally:
        await client.aclose()


async def test_bad_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")
    headers = shopify_headers("orders/create", body, secret="not-the-app-secret")

    response = await client.post("/webhooks", content=body, headers=headers)

    assert response.status_code == 401
    assert await events(sessions) == []
    assert await queued_jobs(redis_url) == 0


async def test_signature_over_a_changed_body_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")
    headers = shopify_headers("orders/create", body)

    response = await client.post("/webhooks", content=body + b" ", headers=headers)

    assert response.status_code == 401
    assert await events(sessions) == []


async def test_delivery_is_stored_raw_and_enqueued(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")

    response = await deliver(client, "orders/create", body, webhook_id="wh-1", event_id="ev-1")

    assert response.status_code == 200
    [event] = await events(sessions)
    assert (event.topic, event.webhook_id, event.event_id) == ("orders/create", "wh-1", "ev-1")
    assert event.body == body.decode()
    assert event.status == "received"
    assert event.api_version == "2026-10"
    assert event.triggered_at is not None
    assert await queued_jobs(redis_url) == 1


async def test_overlong_correlation_headers_are_kept_bounded_not_lost(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """X-Shopify-Event-Id and X-Shopify-API-Version are unsigned and only informative: a
    value longer than its column is cut to it, never a 500 that loses the delivery (found by
    the receiver's fuzzer)."""
    await install_shop(sessions)
    body = fixture_bytes("orders/create")
    headers = {
        **shopify_headers("orders/create", body),
        "X-Shopify-Event-Id": "e" * 300,
        "X-Shopify-API-Version": "v" * 300,
    }

    response = await client.post("/webhooks", content=body, headers=headers)

    assert response.status_code == 200
    [event] = await events(sessions)
    assert (event.event_id, event.api_version) == ("e" * 100, "v" * 20)


async def test_previous_secret_is_accepted_during_rotation(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    rotated = settings.model_copy(
        update={
            "shopify_api_secret": type(settings.shopify_api_secret)("new-secret-" + "x" * 32),
            "shopify_api_secret_previous": settings.shopify_api_secret,
        }
    )
    app = create_app(rotated)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            old = await deliver(client, "orders/create", fixture_bytes("orders/create"))
            new = await deliver(
                client,
                "orders/create",
                fixture_bytes("orders/create"),
                secret="new-secret-" + "x" * 32,
            )
            forged = await deliver(
                client, "orders/create", fixture_bytes("orders/create"), secret="other" * 8
            )
    assert (old.status_code, new.status_code, forged.status_code) == (200, 200, 401)
    assert len(await events(sessions)) == 2


async def test_duplicate_deliveries_store_one_event_and_have_one_effect(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    redis_url: str,
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")

    answers = await asyncio.gather(
        *(deliver(client, "orders/create", body, webhook_id="same-delivery") for _ in range(10))
    )
    await run_worker_burst(settings)

    assert [a.status_code for a in answers] == [200] * 10
    [event] = await events(sessions)
    assert event.status == "processed"
    async with sessions.begin() as session:
        orders = (await session.execute(select(func.count()).select_from(Order))).scalar_one()
    assert orders == 1


async def test_delivery_for_an_unknown_shop_is_acknowledged_but_not_stored(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    await install_shop(sessions)

    response = await deliver(
        client, "orders/create", fixture_bytes("orders/create"), shop="stranger.myshopify.com"
    )

    assert response.status_code == 200
    assert await events(sessions) == []
    assert await queued_jobs(redis_url) == 0


async def test_uninstalled_shop_deliveries_are_stored_and_processed(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions, uninstalled=True)
    redact = json.loads(fixture_bytes("shop/redact").decode().replace("{shop}.myshopify.com", SHOP))

    uninstalled = await deliver(client, "app/uninstalled", fixture_bytes("app/uninstalled"))
    await run_worker_burst(settings)

    assert uninstalled.status_code == 200
    [event] = await events(sessions)
    assert (event.topic, event.status) == ("app/uninstalled", "processed")

    redacted = await deliver(client, "shop/redact", redact)
    await run_worker_burst(settings)

    assert redacted.status_code == 200
    # shop/redact erases the shop's data, its earlier events included, but not its own record.
    [event] = await events(sessions)
    assert (event.topic, event.status) == ("shop/redact", "processed")


async def test_missing_shopify_headers_are_a_bad_request(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")
    headers = {
        "X-Shopify-Hmac-Sha256": sign(body, "test-client-secret-0123456789abcdef-0123456789")
    }

    response = await client.post("/webhooks", content=body, headers=headers)

    assert response.status_code == 400
    assert await events(sessions) == []


@pytest.fixture
async def client_without_redis(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app pointed at a Redis port nothing listens on."""
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    app = create_app(down)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_redis_down_still_stores_and_answers_then_the_sweeper_enqueues_it(
    client_without_redis: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    redis_url: str,
    tmp_path: Path,
) -> None:
    from app.platform.resources import build_resources
    from jobs.webhook_events import sweep_webhook_events
    from tests.support.worker import job_context

    await install_shop(sessions)

    response = await deliver(client_without_redis, "orders/create", fixture_bytes("orders/create"))

    assert response.status_code == 200
    [event] = await events(sessions)
    assert event.status == "received"
    assert await queued_jobs(redis_url) == 0

    # Redis is back (the worker's own): the sweeper finds the stranded event and enqueues it.
    resources = await build_resources(
        settings.model_copy(update={"webhook_sweep_after_seconds": 0})
    )
    try:
        report = await sweep_webhook_events(job_context(resources))
    finally:
        await resources.close()
    assert report.enqueued == 1
    await run_worker_burst(settings)

    [event] = await events(sessions)
    assert event.status == "processed"


def metric(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_received_duplicate_and_rejected_deliveries(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    received = 'boomerang_webhooks_received_total{topic="orders/paid"}'
    duplicate = 'boomerang_webhooks_duplicate_total{topic="orders/paid"}'
    rejected = 'boomerang_webhooks_rejected_total{reason="bad_hmac"}'
    before = (await client.get("/metrics")).text
    body = fixture_bytes("orders/paid")

    await deliver(client, "orders/paid", body, webhook_id="m-1")
    await deliver(client, "orders/paid", body, webhook_id="m-1")
    await deliver(client, "orders/paid", body, secret="wrong" * 8)

    after = (await client.get("/metrics")).text
    for name in (received, duplicate, rejected):
        assert metric(after, name) == metric(before, name) + 1, name


async def test_sweeper_is_not_fooled_by_a_kept_job_result(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """The first job ran while another transaction held the row (a worker about to die), so
    it did nothing, yet arq keeps its result under `webhook:{id}`: enqueueing that id again
    would be refused. The sweeper's fresh id gets the event processed."""
    from app.platform.resources import build_resources
    from jobs.webhook_events import sweep_webhook_events
    from tests.support.worker import job_context

    await install_shop(sessions)
    await deliver(client, "orders/create", fixture_bytes("orders/create"))
    [event] = await events(sessions)

    async with sessions.begin() as holder:
        await holder.execute(
            select(WebhookEvent).where(WebhookEvent.id == event.id).with_for_update()
        )
        await run_worker_burst(settings)  # the job finds the row locked and leaves it
    [event] = await events(sessions)
    assert event.status == "received"
    resources = await build_resources(
        settings.model_copy(update={"webhook_sweep_after_seconds": 0})
    )
    try:
        assert not await resources.queue.enqueue(
            "process_webhook_event", event.id, job_id=f"webhook:{event.id}"
        )
        report = await sweep_webhook_events(job_context(resources))
    finally:
        await resources.close()
    await run_worker_burst(settings)

    assert report.enqueued == 1
    [event] = await events(sessions)
    assert event.status == "processed"


def oversized_order(size: int = MAX_BODY_BYTES + 1) -> bytes:
    """A signed orders/create past the cap: the fixture padded with spaces (still valid JSON),
    as an order with thousands of line items would be."""
    body = fixture_bytes("orders/create")
    return body + b" " * (size - len(body))


async def test_body_over_the_cap_is_refused_with_413_and_not_stored(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], redis_url: str
) -> None:
    await install_shop(sessions)
    body = oversized_order()
    rejected = 'boomerang_webhooks_rejected_total{reason="too_large"}'
    before = metric((await client.get("/metrics")).text, rejected)

    response = await client.post(
        "/webhooks", content=body, headers=shopify_headers("orders/create", body)
    )

    assert response.status_code == 413
    assert await events(sessions) == []
    assert await queued_jobs(redis_url) == 0
    assert metric((await client.get("/metrics")).text, rejected) == before + 1


async def test_chunked_body_over_the_cap_is_refused_before_it_is_all_read(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """No Content-Length to go by: the bytes read so far decide, and reading stops there."""
    await install_shop(sessions)
    chunk = 1024 * 1024
    body = oversized_order(2 * MAX_BODY_BYTES)
    headers = shopify_headers("orders/create", body)
    read = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal read
        for start in range(0, len(body), chunk):
            read += 1
            yield body[start : start + chunk]

    response = await client.post("/webhooks", content=chunks(), headers=headers)

    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert read == MAX_BODY_BYTES // chunk + 1  # of 20 chunks: stopped just past the cap
    assert await events(sessions) == []
