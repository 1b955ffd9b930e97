"""Pools: refilled through bulk add, claimed concurrently without ever sharing a code."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text, update

from app.codes import pools
from app.codes.offers import Offer
from app.models.discount_codes import (
    DiscountPool,
    DiscountPoolStatus,
    PoolCode,
    PoolCodeStatus,
    PoolRetiredReason,
)
from app.models.shops import Shop
from app.queue.memory import MemoryQueue
from tests.codes.conftest import Harness, offer


async def _pool(h: Harness, *, target: int, low: int, the_offer: Offer | None = None) -> int:
    ref = await pools.ensure_pool(
        h.sessions,
        h.gateway,
        h.shop,
        scenario="winback",
        offer=the_offer or offer(),
        prefix="WB",
        target_size=target,
        low_watermark=low,
    )
    return ref.id


async def _claim(h: Harness, pool_id: int, key: str) -> pools.Claim | None:
    async with h.sessions() as session, session.begin():
        return await pools.claim_code(session, h.shop.id, pool_id, key)


async def test_refill_tops_up_in_bulk_and_codes_exist_at_shopify(harness: Harness) -> None:
    pool_id = await _pool(harness, target=600, low=200)
    report = await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )
    assert report.submitted == 599  # the seed code is the first
    assert report.imported == 599
    async with harness.sessions() as session:
        assert await pools.available_count(session, harness.shop.id, pool_id) == 600
        codes = set(await session.scalars(select(PoolCode.code)))
    [discount] = harness.sim.discounts(harness.shop.domain)
    assert {c.code for c in discount.codes} == codes
    assert discount.customer_ids is None
    bulk_calls = [r for r in harness.sim.store.requests if "discountRedeemCodeBulkAdd" in r.query]
    assert [len(r.variables["codes"]) for r in bulk_calls] == [250, 250, 99]
    # Ensuring again reuses the pool and its discount.
    assert await _pool(harness, target=600, low=200) == pool_id
    assert len(harness.sim.discounts(harness.shop.domain)) == 1


async def test_concurrent_claims_never_share_a_code_and_low_pool_asks_for_refill(
    harness: Harness,
) -> None:
    pool_id = await _pool(harness, target=300, low=100)
    await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )
    claims = await asyncio.gather(*(_claim(harness, pool_id, f"cart:{i}") for i in range(250)))
    codes = [c.code for c in claims if c is not None]
    assert len(codes) == 250
    assert len(set(codes)) == 250
    assert any(c.needs_refill for c in claims if c is not None)
    queue = MemoryQueue()
    assert await pools.request_refill(queue, harness.shop.id, pool_id)
    [job] = queue.jobs.values()
    assert (job.name, job.args) == ("refill_discount_pool", (harness.shop.id, pool_id))
    report = await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )
    assert report.imported == 250
    async with harness.sessions() as session:
        assert await pools.available_count(session, harness.shop.id, pool_id) == 300
        claimed = await session.scalar(
            select(func.count()).where(PoolCode.status == PoolCodeStatus.CLAIMED)
        )
    assert claimed == 250


async def test_claim_is_idempotent_per_recipient_even_when_racing(harness: Harness) -> None:
    pool_id = await _pool(harness, target=50, low=10)
    await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )
    claims = await asyncio.gather(*(_claim(harness, pool_id, "winback:cust-1") for _ in range(5)))
    assert len({c.code for c in claims if c is not None}) == 1
    assert sum(1 for c in claims if c is not None and c.claimed_now) == 1
    async with harness.sessions() as session:
        assert await pools.available_count(session, harness.shop.id, pool_id) == 49


async def test_waiting_on_an_import_polls_less_and_less_often(harness: Harness) -> None:
    pool_id = await _pool(harness, target=251, low=50)
    harness.sim.config.bulk_code_creation_delay = 1.0  # Shopify takes a second to import
    report = await pools.refill_pool(
        harness.sessions,
        harness.gateway,
        harness.shop,
        pool_id,
        poll_interval=0.05,
        poll_max_interval=0.4,
    )
    assert report.imported == 250
    polls = [r for r in harness.sim.store.requests if "discountRedeemCodeBulkCreation(" in r.query]
    gaps = [round(b.at - a.at, 3) for a, b in itertools.pairwise(polls)]
    # 0.05, 0.1, 0.2, 0.4, 0.4 …: about 6 polls over the second, where a fixed 0.05 s poll
    # makes 20; each costs points from the shop's bucket. A loaded machine only makes fewer.
    assert 3 <= len(polls) <= 8, gaps
    # Each wait doubles the one before until it reaches the cap. A gap is its wait plus the
    # time the poll took (which a busy machine stretches), so the waits are lower bounds.
    waits = [min(0.05 * 2**n, 0.4) for n in range(len(gaps))]
    assert all(gap >= wait - 0.005 for gap, wait in zip(gaps, waits, strict=True)), gaps
    assert gaps[0] < 0.35, gaps  # it starts at the first interval, not at the cap


async def test_empty_pool_claims_nothing(harness: Harness) -> None:
    pool_id = await _pool(harness, target=1, low=1)
    assert (await _claim(harness, pool_id, "a")) is not None
    assert await _claim(harness, pool_id, "b") is None


async def test_second_concurrent_refill_steps_aside(harness: Harness) -> None:
    pool_id = await _pool(harness, target=400, low=100)
    first, second = await asyncio.gather(
        pools.refill_pool(
            harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
        ),
        pools.refill_pool(
            harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
        ),
    )
    assert sorted([first.imported, second.imported]) == [0, 399]
    async with harness.sessions() as session:
        assert await pools.available_count(session, harness.shop.id, pool_id) == 400


async def test_refill_holds_its_lock_without_a_transaction_idling_on_shopify(
    harness: Harness,
) -> None:
    pool_id = await _pool(harness, target=300, low=50)
    harness.sim.config.bulk_code_creation_delay = 0.6  # Shopify takes its time to import
    refill = asyncio.create_task(
        pools.refill_pool(
            harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.05
        )
    )
    locked_seen = False
    idle: list[int] = []
    async with harness.sessions() as watcher:
        # Autocommit reads: the watcher itself never idles in a transaction.
        connection = await watcher.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        while not refill.done():
            locked_seen |= bool(
                await connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        " AND database = (SELECT oid FROM pg_database"
                        " WHERE datname = current_database())"
                    )
                )
            )
            idle += list(
                await connection.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        " AND state = 'idle in transaction'"
                        " AND now() - state_change > interval '200 milliseconds'"
                    )
                )
            )
            await asyncio.sleep(0.05)
    assert (await refill).imported == 299
    assert locked_seen
    assert idle == []


async def _pool_row(h: Harness, pool_id: int) -> DiscountPool:
    async with h.sessions() as session:
        row = await session.get(DiscountPool, pool_id)
    assert row is not None
    return row


async def test_a_pool_whose_discount_the_merchant_deleted_retires_and_withdraws_its_codes(
    harness: Harness,
) -> None:
    pool_id = await _pool(harness, target=40, low=10)
    await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )
    handed_out = await _claim(harness, pool_id, "winback:1")
    assert handed_out is not None
    discount_id = (await _pool_row(harness, pool_id)).shopify_discount_id
    assert discount_id is not None

    harness.sim.merchant_deletes_discount(harness.shop.domain, discount_id)
    # The pool runs low and asks for a refill: Shopify would refuse the bulk add, so the refill
    # finds the discount gone and retires the pool instead of failing again and again.
    report = await pools.refill_pool(
        harness.sessions, harness.gateway, harness.shop, pool_id, poll_interval=0.01
    )

    assert report.retired
    assert report.submitted == 0
    pool = await _pool_row(harness, pool_id)
    assert (pool.status, pool.retired_reason) == (
        DiscountPoolStatus.RETIRED,
        PoolRetiredReason.DELETED_AT_SHOPIFY,
    )
    async with harness.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(PoolCode.status, func.count())
                    .where(PoolCode.pool_id == pool_id)
                    .group_by(PoolCode.status)
                )
            ).all()
        )
    # The code already handed out stays on record; the 39 never handed out are withdrawn.
    assert statuses == {PoolCodeStatus.CLAIMED: 1, PoolCodeStatus.FAILED: 39}
    assert await _claim(harness, pool_id, "winback:2") is None
    bulk_calls = [r for r in harness.sim.store.requests if "discountRedeemCodeBulkAdd" in r.query]
    assert len(bulk_calls) == 1  # the first refill only: nothing was sent to a dead discount
    # A fresh pool takes over with a discount of its own at Shopify.
    fresh = await _pool(harness, target=40, low=10)
    assert fresh != pool_id
    fresh_discount = (await _pool_row(harness, fresh)).shopify_discount_id
    assert fresh_discount is not None
    assert fresh_discount != discount_id
    assert [d.id for d in harness.sim.discounts(harness.shop.domain)] == [
        int(fresh_discount.rsplit("/", 1)[1])
    ]


async def test_a_deactivated_discount_retires_its_pool_and_a_live_one_is_confirmed(
    harness: Harness,
) -> None:
    pool_id = await _pool(harness, target=5, low=1)
    before = datetime.now(UTC)
    async with harness.sessions() as session:
        assert (harness.shop.id, pool_id) in await pools.stale_pools(session)

    assert await pools.verify_pool(harness.sessions, harness.gateway, harness.shop, pool_id)
    confirmed = await _pool_row(harness, pool_id)
    assert confirmed.verified_at is not None
    assert confirmed.verified_at >= before
    async with harness.sessions() as session:
        # Confirmed: not due again until VERIFY_EVERY has passed.
        assert await pools.stale_pools(session) == []
        later = datetime.now(UTC) + pools.VERIFY_EVERY + timedelta(seconds=1)
        assert await pools.stale_pools(session, now=later) == [(harness.shop.id, pool_id)]
    async with harness.sessions.begin() as session:  # uninstalled: its pools are not asked
        await session.execute(
            update(Shop).where(Shop.id == harness.shop.id).values(uninstalled_at=later)
        )
        assert await pools.stale_pools(session, now=later) == []
        await session.execute(
            update(Shop).where(Shop.id == harness.shop.id).values(uninstalled_at=None)
        )

    assert confirmed.shopify_discount_id is not None
    harness.sim.merchant_deactivates_discount(harness.shop.domain, confirmed.shopify_discount_id)
    assert not await pools.verify_pool(harness.sessions, harness.gateway, harness.shop, pool_id)
    pool = await _pool_row(harness, pool_id)
    assert (pool.status, pool.retired_reason) == (
        DiscountPoolStatus.RETIRED,
        PoolRetiredReason.DEACTIVATED_AT_SHOPIFY,
    )
    assert await _claim(harness, pool_id, "winback:3") is None
