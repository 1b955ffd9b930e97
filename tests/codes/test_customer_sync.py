"""Loyalty metafields and tags: many requests, few writes, the latest value wins."""

from __future__ import annotations

import time

from app.queue.memory import MemoryQueue
from app.shopify.customer_sync import (
    DEFAULT_FLUSH_EVERY,
    flush_customer_sync,
    flush_job_id,
    request_loyalty,
    request_tags,
)
from tests.codes.conftest import Harness


async def test_many_point_changes_become_few_batched_writes(harness: Harness) -> None:
    shop = harness.shop.domain
    customers = [harness.sim.add_customer(shop, f"c{i}@example.com") for i in range(30)]
    queue = MemoryQueue()
    started = time.time()
    for round_ in range(20):
        for customer in customers:
            await request_loyalty(
                harness.redis,
                queue,
                harness.shop.id,
                customer.gid,
                points=round_ * 10 + customer.id % 7,
                tier="gold" if round_ == 19 else "silver",
            )
    await request_tags(
        harness.redis, queue, harness.shop.id, customers[0].gid, add=("vip-gold", "vip-silver")
    )
    await request_tags(
        harness.redis, queue, harness.shop.id, customers[0].gid, remove=("vip-silver",)
    )
    # 1,200 requests, one flush job per window: one job, or two when the requests straddled a
    # window's end (the clock is real).
    first, _ = flush_job_id(harness.shop.id, started, DEFAULT_FLUSH_EVERY)
    last, _ = flush_job_id(harness.shop.id, time.time(), DEFAULT_FLUSH_EVERY)
    assert set(queue.jobs) == {first, last}
    before = len(harness.sim.store.requests)
    report = await flush_customer_sync(harness.redis, harness.client, harness.shop)
    calls = harness.sim.store.requests[before:]
    metafield_calls = [r for r in calls if "metafieldsSet" in r.query]
    assert [len(r.variables["metafields"]) for r in metafield_calls] == [25, 25, 10]
    assert report.metafields_written == 60
    for customer in customers:
        values = {m.key: m.value for m in harness.sim.metafields(shop, customer.gid)}
        assert values == {"points": str(190 + customer.id % 7), "tier": "gold"}
        assert {m.namespace for m in harness.sim.metafields(shop, customer.gid)} != {""}
    assert harness.sim.tags(shop, customers[0].id) == ["vip-gold"]
    again = await flush_customer_sync(harness.redis, harness.client, harness.shop)
    assert again.metafield_calls == 0
