"""A cart-reminder step when Shopify cannot give it its code: a token Shopify refuses stops the
shop's sequences (the timeline says why) instead of failing on every due-step scan; an
unreachable or throttling Shopify makes the step a queue retry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import select, update

from app.models import Message, ScenarioRun, Shop, TimelineEntry
from app.platform.resources import build_resources
from app.queue import JobContext, RetryJob
from app.scenarios.engine import SHOP_TOKEN_INVALID
from app.shopify.throttle import ShopThrottle
from jobs.scenarios import scenario_step
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store


async def _start(store: Store, email: str) -> dict[str, Any]:
    customer = store.customer_payload(email=email)
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    return checkout


async def _run(store: Store, token: str) -> ScenarioRun:
    async with store.sessions.begin() as session:
        run = await session.scalar(select(ScenarioRun).where(ScenarioRun.subject_key == token))
    assert run is not None
    return run


async def _stops(store: Store) -> list[tuple[int | None, int | None, str]]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == "stopped").order_by(TimelineEntry.id)
        )
        return [(e.run_id, e.step, e.reason) for e in rows]


async def test_a_token_shopify_refuses_stops_the_shops_sequences(
    store: Store, inbox: Inbox
) -> None:
    store.sim.oauth.revoke_shop(SHOP)  # the merchant's token dies; Boomerang does not know yet
    first = await _start(store, "ada@example.test")
    await store.work()

    # Step 1 needs no code and went out; step 2's code met the 401: the shop's token is marked
    # invalid (no refresh token to try) and the run stops there, saying why.
    run = await _run(store, first["token"])
    assert (run.status, run.stop_reason) == ("stopped", SHOP_TOKEN_INVALID)
    # Steps on the timeline are 1-based everywhere: the run stopped at step 2.
    assert await _stops(store) == [(run.id, 2, SHOP_TOKEN_INVALID)]
    assert [m["To"] for m in inbox.messages] == ["ada@example.test"]
    assert [r.status for r in store.sim.store.requests] == [401]
    async with store.sessions.begin() as session:
        shop = await session.get(Shop, store.shop.id)
        assert shop is not None
        assert shop.token_invalid_at is not None

    # A new cart of the same shop: its first step stops the run before doing anything.
    second = await _start(store, "bea@example.test")
    await store.work()
    later = await _run(store, second["token"])
    assert (later.status, later.stop_reason) == ("stopped", SHOP_TOKEN_INVALID)
    assert await _stops(store) == [
        (run.id, 2, SHOP_TOKEN_INVALID),
        (later.id, 1, SHOP_TOKEN_INVALID),
    ]
    assert len(inbox.messages) == 1
    assert [r.status for r in store.sim.store.requests] == [401]  # not one call more


async def test_a_throttled_shopify_makes_the_step_a_queue_retry(store: Store, inbox: Inbox) -> None:
    await store.configure(
        steps=[
            {"delay_seconds": 1},
            {"delay_seconds": 3600},
            {"delay_seconds": 7200, "enabled": False},
        ]
    )
    checkout = await _start(store, "cy@example.test")
    await store.work()  # step 1 goes out; step 2 (with a code) is an hour away
    run = await _run(store, checkout["token"])
    async with store.sessions.begin() as session:  # the hour passes
        await session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.id == run.id)
            .values(next_step_at=datetime.now(UTC))
        )
    # Other workers have booked the shop's rate limit far ahead.
    redis = Redis.from_url(store.settings.redis)
    throttle = ShopThrottle(redis)
    booking = await throttle.reserve(SHOP, 1_000_000)
    resources = await build_resources(store.settings, http_transport=store.shopify)
    calls = len(store.sim.store.requests)
    try:
        with pytest.raises(RetryJob) as retry:
            await scenario_step(JobContext("step", 1, resources), run.id, 1)
        assert retry.value.defer > 0
        assert len(store.sim.store.requests) == calls  # nothing was sent to Shopify
        assert (await _run(store, checkout["token"])).step_index == 1

        await throttle.release(booking)  # the bucket is free again: the retry goes through
        await scenario_step(JobContext("step", 2, resources), run.id, 1)
    finally:
        await resources.close()
        await redis.aclose()

    done = await _run(store, checkout["token"])
    assert (done.status, done.step_index) == ("active", 2)  # on to the (disabled) last step
    async with store.sessions.begin() as session:
        second = await session.scalar(select(Message).where(Message.step == 2))
    assert second is not None
    assert second.context["discount_code"].startswith("COMEBACK-")
