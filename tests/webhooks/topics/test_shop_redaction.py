"""shop/redact through the real pipeline (POST /webhooks, then the worker) with the test
Redis: the shop's customer sync hashes (its customers' Shopify ids, points, tiers, referral
links waiting to be written to Shopify) are deleted; another shop's stay. A redaction whose
follow-up job was lost (the worker died between the commit and the enqueue) is caught up by
the sweep of recent redactions."""

from __future__ import annotations

import copy
from typing import cast

from redis.asyncio import Redis
from sqlalchemy import select

from app.installs.lifecycle import FORGET_JOB
from app.models import WebhookEvent
from app.platform.resources import build_resources
from app.queue import JobContext, JobQueue
from app.shopify.customer_sync import request_loyalty
from jobs.shop_redaction import sweep_redacted_shops
from tests.messaging.conftest import inbox  # noqa: F401  (fixture)
from tests.scenarios.conftest import (  # noqa: F401  (fixtures)
    SHOP,
    Store,
    app,
    settings,
    sim,
    simulator,
    store,
)
from tests.support.fixtures import fixture_json
from webhooks.processing import process_event


class _NoQueue:
    """The flush each request schedules is not what this test is about."""

    async def enqueue(self, *args: object, **options: object) -> bool:
        return True


NO_QUEUE = cast(JobQueue, _NoQueue())


async def pending_sync(redis: Redis, shop_id: int) -> None:
    """The shop's customer 7001 waiting for its points and tier at Shopify, and a flush that
    died mid-way (its own keys and the list of flushes)."""
    await request_loyalty(
        redis,
        NO_QUEUE,
        shop_id,
        "gid://shopify/Customer/7001",
        points=120,
        tier="gold",
    )
    await request_loyalty(
        redis,
        NO_QUEUE,
        shop_id,
        "gid://shopify/Customer/7002",
        points=80,
    )
    await redis.rename(
        f"boomerang:sync:{shop_id}:metafields", f"boomerang:sync:{shop_id}:flush:3:metafields"
    )
    await redis.zadd(f"boomerang:sync:{shop_id}:flushes", {"3": 3})
    await request_loyalty(
        redis,
        NO_QUEUE,
        shop_id,
        "gid://shopify/Customer/7001",
        points=150,
    )


async def uninstalled(store: Store) -> dict[str, object]:  # noqa: F811
    """The app uninstalled (and that delivery handled); Shopify's shop/redact, 48 hours on."""
    await store.deliver("app/uninstalled", fixture_json("app/uninstalled"))
    await store.work(horizon=0.5)
    redact = copy.deepcopy(fixture_json("shop/redact"))
    redact["shop_domain"] = SHOP
    return redact


async def test_shop_redaction_deletes_the_shops_customer_sync_keys(
    store: Store,  # noqa: F811
) -> None:
    shop_id, neighbour = store.shop.id, store.shop.id * 10  # neighbour: a prefix-sharing id
    redis = Redis.from_url(store.settings.redis)
    try:
        for owner in (shop_id, neighbour):
            await pending_sync(redis, owner)
        assert len(await redis.keys(f"boomerang:sync:{shop_id}:*")) == 3

        await store.deliver("shop/redact", await uninstalled(store))
        await store.work(horizon=0.5)

        assert await redis.keys(f"boomerang:sync:{shop_id}:*") == []
        assert len(await redis.keys(f"boomerang:sync:{neighbour}:*")) == 3
    finally:
        await redis.aclose()


async def test_a_lost_follow_up_is_caught_up_by_the_sweep(store: Store) -> None:  # noqa: F811
    redis = Redis.from_url(store.settings.redis)
    resources = await build_resources(store.settings, http_transport=store.shopify)
    try:
        await pending_sync(redis, store.shop.id)
        await store.deliver("shop/redact", await uninstalled(store))
        # The redaction commits; the worker dies before enqueueing what it deferred.
        async with store.sessions.begin() as session:
            event = await session.scalar(
                select(WebhookEvent.id).where(WebhookEvent.topic == "shop/redact")
            )
        assert event is not None
        result = await process_event(store.sessions, event)
        assert [job.name for job in result.after_commit] == [FORGET_JOB]  # never sent
        await store.work(horizon=0.5)  # the event's own job finds it done
        assert await redis.keys(f"boomerang:sync:{store.shop.id}:*")

        queued = await sweep_redacted_shops(JobContext("cron:sweep", 1, resources))
        await store.work(horizon=0.5)

        assert queued == 1
        assert await redis.keys(f"boomerang:sync:{store.shop.id}:*") == []
    finally:
        await resources.close()
        await redis.aclose()
