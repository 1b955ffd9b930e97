"""The codes layer's jobs as the worker runs them: the stranded-code sweep (cron) and the
resume it queues; a throttled Shopify is a retry, never a final failure; a failed customer
sync flush schedules the next one."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.codes import pools
from app.codes.issuing import pool_key
from app.codes.offers import CodePurpose, Recipient
from app.codes.service import issue_code
from app.models.discount_codes import (
    DiscountCode,
    DiscountCodeStatus,
    DiscountPool,
    DiscountPoolStatus,
    PoolRetiredReason,
)
from app.platform.resources import Resources
from app.queue import RetryJob
from app.queue.arq_backend import QUEUE_NAME
from app.scenarios.actions import CodeRequest
from app.scenarios.config import DiscountSettings
from app.settings import Settings
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import FLUSH_JOB, request_loyalty
from app.shopify.throttle import Reservation, ShopThrottle
from devstore.server import Simulator
from devstore.storefront import CheckoutError
from jobs import codes as codes_jobs
from jobs.live_actions import LiveStepActions
from tests.app.shopify.test_tokens import SHOP, installed
from tests.codes.conftest import offer
from tests.codes.test_issue_code import CrashAfterCreate
from tests.support.worker import job_context, run_worker_burst


@pytest.fixture
async def shop(resources: Resources, sim: Simulator) -> ShopRef:
    return ShopRef(await installed(resources, sim), SHOP)


@pytest.fixture
async def booked(resources: Resources, shop: ShopRef) -> AsyncIterator[Reservation]:
    """Other workers have booked the shop's rate limit far ahead (released at the end)."""
    throttle = ShopThrottle(resources.redis)
    booking = await throttle.reserve(shop.domain, 1_000_000)
    yield booking
    await throttle.release(booking)


async def test_the_sweep_cron_resumes_codes_stranded_by_a_crash(
    resources: Resources, sim: Simulator, shop: ShopRef, sim_settings: Settings
) -> None:
    with pytest.raises(ConnectionResetError):
        await issue_code(
            resources.sessions,
            CrashAfterCreate(discount_gateway(resources)),  # type: ignore[arg-type]
            shop,
            purpose=CodePurpose.WIN_BACK,
            idempotency_key="winback:7",
            offer=offer(),
            recipient=Recipient(email="w@example.com"),
            prefix="WB",
        )
    async with resources.sessions.begin() as session:  # two minutes pass
        await session.execute(
            update(DiscountCode).values(created_at=datetime.now(UTC) - timedelta(minutes=3))
        )

    assert await codes_jobs.sweep_stranded_codes(job_context(resources, "cron:1")) == 1
    await run_worker_burst(sim_settings, http_transport=sim.transport())

    async with resources.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.ACTIVE
    assert row.shopify_id
    assert sim.codes(SHOP) == [row.code]
    # Nothing left to sweep.
    assert await codes_jobs.sweep_stranded_codes(job_context(resources, "cron:2")) == 0


async def test_a_throttled_shopify_makes_the_refill_job_retry(
    resources: Resources, shop: ShopRef
) -> None:
    # The pool's discount first, while Shopify still answers.
    ref = await pools.ensure_pool(
        resources.sessions,
        discount_gateway(resources),
        shop,
        scenario="winback",
        offer=offer(),
        prefix="WB",
        target_size=10,
    )
    throttle = ShopThrottle(resources.redis)
    booking = await throttle.reserve(shop.domain, 1_000_000)  # other workers book the limit
    try:
        # ThrottledByShopify is a ShopifyUnavailable: retried, not failed for good.
        with pytest.raises(RetryJob):
            await codes_jobs.refill_discount_pool(job_context(resources), shop.id, ref.id)
    finally:
        await throttle.release(booking)
    assert await codes_jobs.refill_discount_pool(job_context(resources), shop.id, ref.id) == 9


async def test_a_failed_flush_schedules_the_next_and_keeps_the_values(
    resources: Resources, sim: Simulator, shop: ShopRef, booked: Reservation
) -> None:
    customer = sim.add_customer(SHOP, "lo@example.com")
    await request_loyalty(resources.redis, resources.queue, shop.id, customer.gid, points=40)
    queued_before = set(await resources.redis.zrange(QUEUE_NAME, 0, -1))

    assert await codes_jobs.flush_customer_sync(job_context(resources), shop.id) == 0

    later = {
        member.decode(): score
        for member, score in await resources.redis.zrange(QUEUE_NAME, 0, -1, withscores=True)
        if member not in queued_before
    }
    [(job_id, due_ms)] = later.items()
    assert job_id.startswith(f"{FLUSH_JOB}:{shop.id}:")
    assert due_ms / 1000 >= time.time() + codes_jobs.FLUSH_RETRY_AFTER - 1
    assert sim.metafields(SHOP) == []

    await ShopThrottle(resources.redis).release(booked)  # Shopify answers again
    assert await codes_jobs.flush_customer_sync(job_context(resources), shop.id) == 1
    assert [(m.key, m.value) for m in sim.metafields(SHOP, customer.gid)] == [("points", "40")]


async def test_a_pool_deleted_in_shopifys_admin_is_found_by_the_sweep_and_replaced(
    resources: Resources, sim: Simulator, shop: ShopRef, sim_settings: Settings
) -> None:
    actions = LiveStepActions(resources)
    discount = DiscountSettings(value=Decimal(10))
    now = datetime.now(UTC)
    first = await actions.issue_code(_cart_code(shop.id, "abandoned_cart:tok-a:2", discount), now)
    assert first is not None
    await run_worker_burst(sim_settings, http_transport=sim.transport())  # the pool's refill
    async with resources.sessions() as session:
        pool = await pools.find_pool(session, shop.id, pool_key("abandoned_cart", discount))
    assert pool is not None
    assert pool.shopify_discount_id is not None
    sim.merchant_deletes_discount(SHOP, pool.shopify_discount_id)
    with pytest.raises(CheckoutError):
        sim.place_order(SHOP, email="a@example.com", discount_code=first.code)

    # Ten minutes on, the sweep finds the pool due a check; the check finds it gone.
    async with resources.sessions.begin() as session:
        await session.execute(
            update(DiscountPool).values(verified_at=now - pools.VERIFY_EVERY - timedelta(seconds=1))
        )
    assert await codes_jobs.sweep_stale_pools(job_context(resources, "cron:pools:1")) == 1
    await run_worker_burst(sim_settings, http_transport=sim.transport())
    async with resources.sessions() as session:
        retired = await session.get(DiscountPool, pool.id)
    assert retired is not None
    assert retired.status == DiscountPoolStatus.RETIRED
    assert retired.retired_reason == PoolRetiredReason.DELETED_AT_SHOPIFY

    # The next reminder's code comes from a fresh pool, and works at checkout.
    second = await actions.issue_code(_cart_code(shop.id, "abandoned_cart:tok-b:2", discount), now)
    assert second is not None
    assert second.code != first.code
    placed = sim.place_order(SHOP, email="b@example.com", discount_code=second.code)
    assert [d["code"] for d in placed.order["discount_codes"]] == [second.code]
    # The fresh pool is checked once; confirmed, it is not checked again before its time.
    assert await codes_jobs.sweep_stale_pools(job_context(resources, "cron:pools:2")) == 1
    await run_worker_burst(sim_settings, http_transport=sim.transport())
    assert await codes_jobs.sweep_stale_pools(job_context(resources, "cron:pools:3")) == 0


def _cart_code(shop_id: int, key: str, discount: DiscountSettings) -> CodeRequest:
    return CodeRequest(
        shop_id=shop_id,
        shop_domain=SHOP,
        shop_locale="en",
        scenario="abandoned_cart",
        idempotency_key=key,
        customer_id=None,
        discount=discount,
        prefix="COMEBACK",
    )
