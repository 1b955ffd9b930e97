"""Loyalty metafields and tags: many requests, few writes, the latest value wins."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.loyalty.status_document import LOYALTY_NAMESPACE
from app.queue.deferred import CustomerWrite, Job
from app.queue.memory import MemoryQueue
from app.shopify.customer_sync import (
    DEFAULT_FLUSH_EVERY,
    CustomerSyncWriter,
    flush_customer_sync,
    flush_job_id,
    request_loyalty,
    request_metafield,
    request_tags,
)
from tests.codes.conftest import Harness

ROOT = Path(__file__).resolve().parents[2]


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
        # `$app:loyalty` is the app's reserved namespace, stored as app--{app id}--loyalty.
        assert {m.namespace for m in harness.sim.metafields(shop, customer.gid)} == {
            f"app--{harness.sim.config.app_id}--loyalty"
        }
    assert harness.sim.tags(shop, customers[0].id) == ["vip-gold"]
    again = await flush_customer_sync(harness.redis, harness.client, harness.shop)
    assert again.metafield_calls == 0


async def test_a_refused_value_is_dropped_and_the_rest_of_its_call_sent_again(
    harness: Harness,
) -> None:
    shop = harness.shop.domain
    customers = [harness.sim.add_customer(shop, f"m{i}@example.com") for i in range(30)]
    queue = MemoryQueue()
    for customer in customers:
        await request_loyalty(harness.redis, queue, harness.shop.id, customer.gid, points=7)
    # Not an integer: Shopify refuses it, and metafieldsSet being atomic, its whole call.
    await request_metafield(
        harness.redis,
        queue,
        harness.shop.id,
        customers[3].gid,
        namespace=LOYALTY_NAMESPACE,
        key="tier_rank",
        type="number_integer",
        value="first",
    )
    before = len(harness.sim.store.requests)

    report = await flush_customer_sync(harness.redis, harness.client, harness.shop)

    assert (report.metafields_written, report.rejected) == (30, 1)
    calls = [r for r in harness.sim.store.requests[before:] if "metafieldsSet" in r.query]
    assert len(calls) == report.metafield_calls == 3  # 31 values: 2 calls, 1 sent again
    bad = {"ownerId": customers[3].gid, "key": "tier_rank", "value": "first"}

    def is_bad(metafield: dict[str, str]) -> bool:
        return bad.items() <= metafield.items()

    # The refused call, then the same inputs without the refused one.
    [refused] = [i for i, r in enumerate(calls) if any(map(is_bad, r.variables["metafields"]))]
    sent = calls[refused].variables["metafields"]
    assert calls[refused + 1].variables["metafields"] == [m for m in sent if not is_bad(m)]
    for customer in customers:
        assert {(m.key, m.value) for m in harness.sim.metafields(shop, customer.gid)} == {
            ("points", "7")
        }


async def test_a_flush_killed_mid_way_loses_nothing(harness: Harness, clean_redis: str) -> None:
    shop = harness.shop.domain
    customers = [harness.sim.add_customer(shop, f"k{i}@example.com") for i in range(3)]
    queue = MemoryQueue()
    for customer in customers:
        await request_loyalty(
            harness.redis, queue, harness.shop.id, customer.gid, points=5, tier="silver"
        )
    await request_tags(harness.redis, queue, harness.shop.id, customers[0].gid, add=("vip",))
    # Shopify keeps failing, so the flush process is still retrying when it is killed.
    harness.sim.inject_faults(shop, "503", count=1000)
    async with harness.sim.serve() as base_url:
        process = subprocess.Popen(  # noqa: S603, ASYNC220 (our interpreter and module)
            [
                sys.executable,
                "-m",
                "tests.support.flush_process",
                clean_redis,
                base_url,
                str(harness.shop.id),
                shop,
                harness.token,
            ],
            cwd=ROOT,
            env=dict(os.environ),
        )
        try:
            for _ in range(300):  # until the process has taken the values and called Shopify
                if harness.sim.store.requests or process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)
    assert [r.fault for r in harness.sim.store.requests][:1] == ["503"]
    assert harness.sim.metafields(shop) == []
    harness.sim.clear_faults(shop)
    # A newer value asked for while the killed flush held the older one: the newer wins.
    await request_loyalty(harness.redis, queue, harness.shop.id, customers[0].gid, points=9)
    await asyncio.sleep(1.1)  # the killed flush's lock lapses

    report = await flush_customer_sync(harness.redis, harness.client, harness.shop)

    assert report.metafields_written == 6
    values = {(m.owner_id, m.key): m.value for m in harness.sim.metafields(shop)}
    assert values == {
        (customers[0].gid, "points"): "9",
        (customers[0].gid, "tier"): "silver",
        (customers[1].gid, "points"): "5",
        (customers[1].gid, "tier"): "silver",
        (customers[2].gid, "points"): "5",
        (customers[2].gid, "tier"): "silver",
    }
    assert harness.sim.tags(shop, customers[0].id) == ["vip"]
    again = await flush_customer_sync(harness.redis, harness.client, harness.shop)
    assert (again.metafield_calls, again.tag_calls) == (0, 0)


async def test_a_second_flush_of_the_shop_steps_aside(harness: Harness) -> None:
    customer = harness.sim.add_customer(harness.shop.domain, "s@example.com")
    await request_loyalty(harness.redis, MemoryQueue(), harness.shop.id, customer.gid, points=1)
    harness.sim.inject_faults(harness.shop.domain, "stall", delay=0.3)

    first, second = await asyncio.gather(
        flush_customer_sync(harness.redis, harness.client, harness.shop),
        flush_customer_sync(harness.redis, harness.client, harness.shop),
    )

    assert sorted([first.skipped, second.skipped]) == [False, True]
    assert first.metafields_written + second.metafields_written == 1


async def test_a_write_sent_late_never_overwrites_a_newer_balance(harness: Harness) -> None:
    """Two transactions moved the account, one after the other (versions 7 then 8); their
    requests after commit arrive in the other order. The newer one stays, and is written."""
    shop = harness.shop.domain
    customer = harness.sim.add_customer(shop, "late@example.com")
    queue = MemoryQueue()
    writer = CustomerSyncWriter(harness.redis, queue, flush_every=DEFAULT_FLUSH_EVERY)

    def write(version: int, points: int) -> CustomerWrite:
        return CustomerWrite(
            shop_id=harness.shop.id,
            owner_gid=customer.gid,
            version=version,
            metafields=((LOYALTY_NAMESPACE, "points", "number_integer", str(points)),),
            fallback=Job("sync_loyalty_customer", (harness.shop.id, 1, None, False), "sync:1"),
        )

    await writer.request([write(8, 120)])
    await writer.request([write(7, 80)])
    assert [job.name for job in queue.jobs.values()] == ["flush_customer_sync"] * len(queue.jobs)

    await flush_customer_sync(harness.redis, harness.client, harness.shop)
    assert {m.key: m.value for m in harness.sim.metafields(shop, customer.gid)} == {"points": "120"}
    # A newer version after the flush is written by the next one.
    await writer.request([write(9, 150)])
    await flush_customer_sync(harness.redis, harness.client, harness.shop)
    assert {m.key: m.value for m in harness.sim.metafields(shop, customer.gid)} == {"points": "150"}
