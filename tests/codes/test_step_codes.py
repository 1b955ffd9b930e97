"""A scenario step's code, through the worker's real actions (pool first, one-off when the pool
is dry): a step retried after a crash hands out the code it got before, whichever path gave it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.codes import pools
from app.codes.issuing import pool_key
from app.models.discount_codes import DiscountCode, DiscountPool, PoolCode
from app.platform.resources import Resources
from app.scenarios.actions import CodeRequest
from app.scenarios.config import DiscountSettings
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef
from devstore.server import Simulator
from jobs.live_actions import LiveStepActions
from tests.app.shopify.test_tokens import SHOP, installed


def _request(shop_id: int, key: str, discount: DiscountSettings) -> CodeRequest:
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


async def test_a_retried_step_keeps_its_one_off_code_when_the_pool_was_refilled_meanwhile(
    resources: Resources, sim: Simulator
) -> None:
    shop_id = await installed(resources, sim)
    actions = LiveStepActions(resources)
    discount = DiscountSettings(value=Decimal(10))
    now = datetime.now(UTC)
    # Another checkout takes the new pool's only code (its seed): the pool is dry.
    taken = await actions.issue_code(_request(shop_id, "abandoned_cart:other:1", discount), now)
    request = _request(shop_id, "abandoned_cart:tok-1:1", discount)

    first = await actions.issue_code(request, now)  # pool dry: a one-off code at Shopify
    # The worker dies before the step commits; meanwhile the pool is refilled.
    async with resources.sessions() as session:
        pool = await pools.find_pool(session, shop_id, pool_key("abandoned_cart", discount))
    assert pool is not None
    refill = await pools.refill_pool(
        resources.sessions,
        discount_gateway(resources),
        ShopRef(shop_id, SHOP),
        pool.id,
        poll_interval=0.01,
    )
    assert refill.imported > 0

    again = await actions.issue_code(request, now)  # the retried step

    assert again == first
    assert first.code != taken.code
    async with resources.sessions() as session:
        claimed = await session.scalar(
            select(func.count()).where(PoolCode.claimed_by == request.idempotency_key)
        )
        one_off = await session.scalar(
            select(DiscountCode.code).where(DiscountCode.idempotency_key == request.idempotency_key)
        )
    assert claimed == 0
    assert one_off == first.code
    assert sim.codes(SHOP).count(first.code) == 1


async def test_a_retried_step_keeps_its_pool_code_after_the_offer_changed(
    resources: Resources, sim: Simulator
) -> None:
    shop_id = await installed(resources, sim)
    actions = LiveStepActions(resources)
    now = datetime.now(UTC)
    request = _request(shop_id, "abandoned_cart:tok-2:1", DiscountSettings(value=Decimal(10)))

    first = await actions.issue_code(request, now)
    # Before the retry, the merchant changes the step's offer: a new pool, new codes.
    changed = replace(request, discount=DiscountSettings(value=Decimal(15)))
    again = await actions.issue_code(changed, now)

    assert again == first
    async with resources.sessions() as session:
        holders = list(
            await session.scalars(
                select(PoolCode.code).where(PoolCode.claimed_by == request.idempotency_key)
            )
        )
    assert holders == [first.code]


async def test_a_pool_ending_sooner_than_half_the_offer_is_replaced_and_its_codes_kept(
    resources: Resources, sim: Simulator
) -> None:
    shop_id = await installed(resources, sim)
    actions = LiveStepActions(resources)
    discount = DiscountSettings(value=Decimal(10))  # valid 72 h
    now = datetime.now(UTC)
    first = await actions.issue_code(_request(shop_id, "abandoned_cart:tok-3:2", discount), now)
    async with resources.sessions.begin() as session:
        old = await pools.find_pool(session, shop_id, pool_key("abandoned_cart", discount))
        assert old is not None
        old.ends_at = now + timedelta(hours=30)  # less than 36 h left

    second = await actions.issue_code(_request(shop_id, "abandoned_cart:tok-4:2", discount), now)

    assert second.code != first.code
    assert second.expires_at >= now + timedelta(hours=71)
    async with resources.sessions() as session:
        retired = await session.get(DiscountPool, old.id)
        fresh = await pools.find_pool(session, shop_id, pool_key("abandoned_cart", discount))
    assert retired is not None
    assert (retired.status, retired.retired_reason) == ("retired", "ending")
    assert fresh is not None
    assert fresh.id != old.id
    assert len(sim.discounts(SHOP)) == 2  # the old discount stays: its codes still work


async def test_concurrent_steps_create_a_new_pool_and_its_seed_code_once(
    resources: Resources, sim: Simulator
) -> None:
    """Steps of four checkouts run at once and none finds a pool for their offer: one creates
    it at Shopify, the others wait for it instead of asking Shopify for the same seed code."""
    shop_id = await installed(resources, sim)
    actions = LiveStepActions(resources)
    discount = DiscountSettings(value=Decimal(10))
    now = datetime.now(UTC)
    requests = [_request(shop_id, f"abandoned_cart:tok-race-{n}:1", discount) for n in range(4)]

    issued = await asyncio.gather(*(actions.issue_code(r, now) for r in requests))

    async with resources.sessions() as session:
        pool = await pools.find_pool(session, shop_id, pool_key("abandoned_cart", discount))
    assert pool is not None
    seed_creates = [
        r
        for r in sim.store.requests
        if "Create(" in r.query and pool.seed_code in json.dumps(r.variables)
    ]
    assert len(seed_creates) == 1
    assert pool.seed_code in [code.code for code in issued]  # one step got the seed
    assert len({code.code for code in issued}) == 4  # the others a code of their own
