"""Shopify's EventBridge deliveries, read from a source (a Redis stream stands in for the SQS
queue or Pub/Sub subscription), land in the same inbox as HTTP deliveries: stored once per
webhook id (across both channels), enqueued in their shop's turn, processed by the worker."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Order, WebhookEvent
from app.platform.resources import Resources, build_resources
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import SHOP, all_rows, deliver, install_shop
from tests.support.worker import run_worker_burst
from webhooks.ingress import Consumed, RedisStreamSource, consume

STREAM = "shopify-deliveries"


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    resources = await build_resources(settings)
    yield resources
    await resources.close()


def eventbridge_event(topic: str, payload: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """As Shopify's partner event source puts it on the bus."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "shopifyWebhook",
        "source": "aws.partner/shopify.com/1234567/boomerang",
        "account": "123456789012",
        "time": "2026-12-05T09:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "payload": payload,
            "metadata": {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Shop-Domain": SHOP,
                "X-Shopify-Webhook-Id": webhook_id,
                "X-Shopify-Triggered-At": "2026-12-05T08:59:59.000Z",
                "X-Shopify-Event-Id": str(uuid.uuid4()),
                "X-Shopify-API-Version": "2026-10",
                "X-Shopify-Hmac-Sha256": "not-checked-on-this-channel",
            },
        },
    }


async def publish(redis: Redis, event: dict[str, Any] | str) -> None:
    await redis.xadd(STREAM, {"event": event if isinstance(event, str) else json.dumps(event)})


async def test_eventbridge_deliveries_are_stored_once_and_processed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    resources: Resources,
) -> None:
    await install_shop(sessions)
    order = fixture_json("orders/create")
    first = eventbridge_event("orders/create", order, "wh-eb-1")
    await publish(resources.redis, first)
    await publish(resources.redis, first)  # the bus delivers at least once
    await publish(resources.redis, "{not json")
    await publish(resources.redis, {"detail": {"payload": order, "metadata": {}}})
    other = eventbridge_event("orders/create", order, "wh-eb-2")
    other["detail"]["metadata"]["X-Shopify-Shop-Domain"] = "never-installed.myshopify.com"
    await publish(resources.redis, other)
    # The same delivery also came over HTTP: one row for both channels.
    assert (await deliver(client, "orders/create", order, webhook_id="wh-http-1")).is_success
    await publish(resources.redis, eventbridge_event("orders/create", order, "wh-http-1"))

    source = RedisStreamSource(resources.redis, STREAM)
    outcomes = await consume(resources, source)
    assert outcomes == [
        Consumed.NEW,
        Consumed.DUPLICATE,
        Consumed.BAD,
        Consumed.BAD,
        Consumed.UNKNOWN_SHOP,
        Consumed.DUPLICATE,
    ]
    assert await consume(resources, source) == []  # all acknowledged

    await run_worker_burst(settings)
    events = await all_rows(sessions, WebhookEvent)
    assert sorted(e.webhook_id for e in events) == ["wh-eb-1", "wh-http-1"]
    assert {e.status for e in events} == {"processed"}
    [stored] = [e for e in events if e.webhook_id == "wh-eb-1"]
    assert json.loads(stored.body or "") == order
    assert (stored.topic, stored.api_version) == ("orders/create", "2026-10")
    async with sessions.begin() as session:
        orders = list((await session.execute(select(Order))).scalars())
    assert [o.shopify_id for o in orders] == [order["id"]]


async def test_a_message_not_acknowledged_comes_back(
    sessions: async_sessionmaker[AsyncSession], resources: Resources
) -> None:
    """A consumer that died between reading and storing: another claims its message."""
    await install_shop(sessions)
    await publish(
        resources.redis, eventbridge_event("orders/create", fixture_json("orders/create"), "wh-1")
    )
    dead = RedisStreamSource(resources.redis, STREAM, consumer="dead", reclaim_after_ms=0)
    assert len(await dead.receive(10)) == 1  # read, never stored nor acknowledged
    survivor = RedisStreamSource(resources.redis, STREAM, consumer="alive", reclaim_after_ms=0)
    assert await consume(resources, survivor) == [Consumed.NEW]
    assert await consume(resources, survivor) == []
    assert [e.webhook_id for e in await all_rows(sessions, WebhookEvent)] == ["wh-1"]
