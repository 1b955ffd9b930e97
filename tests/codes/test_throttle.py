"""The client spends the shop's bucket to the full without surfacing a throttle."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app import metrics
from app.codes.offers import CodePurpose, Recipient
from app.codes.service import issue_code
from app.shopify.admin.client import AdminClient
from app.shopify.admin.discounts import FIND_BY_CODE
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import TAGS_ADD
from app.shopify.throttle import ShopThrottle
from tests.codes.conftest import Harness, admin_client, offer


async def test_burst_of_300_codes_completes_without_errors(harness: Harness) -> None:
    # Plan "tight": a 200-point bucket (20 mutations) refilled at 1000 points/s.
    harness.sim.set_plan(harness.shop.domain, "tight")
    limit = asyncio.Semaphore(40)

    async def one(i: int) -> str:
        async with limit:
            issued = await issue_code(
                harness.sessions,
                harness.gateway,
                harness.shop,
                purpose=CodePurpose.LOYALTY_REWARD,
                idempotency_key=f"burst:{i}",
                offer=offer(),
                recipient=Recipient(email=None),
                prefix="VIP",
            )
            return issued.code

    codes = await asyncio.gather(*(one(i) for i in range(300)))
    assert len(set(codes)) == 300
    assert sorted(harness.shopify_codes()) == sorted(codes)
    throttled = sum(1 for r in harness.sim.store.requests if r.throttled)
    # The shared mirror spaces calls at the restore rate: throttles are rare and never surface.
    assert throttled <= 15
    status = await harness.client._throttle.snapshot(harness.shop.domain)
    assert status["maximum"] == 200.0
    assert status["rate"] == 1000.0


async def test_throttled_answer_waits_the_computed_time_and_retries(harness: Harness) -> None:
    # Drain the shop's bucket behind the mirror's back (another process, say).
    harness.sim.set_plan(harness.shop.domain, "trickle")  # 2 points/s: a 1-point call waits 0.5 s
    bucket = harness.sim.graphql.bucket(harness.sim.shop(harness.shop.domain))
    assert bucket.try_take(bucket.available)
    slept: list[float] = []
    real_sleep = harness.client._sleep

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await real_sleep(seconds)

    harness.client._sleep = recording_sleep
    data = await harness.client.execute(harness.shop, FIND_BY_CODE, {"code": "NOPE"})
    assert data == {"codeDiscountNodeByCode": None}
    assert harness.client.stats.throttled == 1
    # (requested 1 − available ~0) / 2 per second
    assert 0 < slept[0] <= 0.5
    assert [r.throttled for r in harness.sim.store.requests] == [True, False]


async def test_two_clients_share_one_bucket_mirror(harness: Harness) -> None:
    """Two processes' clients (each its own instance and connections) spend one shop's bucket
    together: what one learned and reserved, the other waits for."""
    harness.sim.set_plan(harness.shop.domain, "narrow")  # 200 points, 100 points/s
    customer = harness.sim.add_customer(harness.shop.domain, "pat@example.com")

    other_http = httpx.AsyncClient(transport=harness.sim.transport(), timeout=10)
    first, second = harness.client, admin_client(other_http, harness.redis, harness.tokens)
    try:
        # The first client learns the shop's limits; the second has never had an answer.
        await first.execute(harness.shop, TAGS_ADD, {"id": customer.gid, "tags": ["warm-up"]})

        async def burst(client: AdminClient, name: str) -> None:
            for i in range(10):
                await client.execute(
                    harness.shop, TAGS_ADD, {"id": customer.gid, "tags": [f"{name}-{i}"]}
                )

        await asyncio.gather(
            *(burst(c, f"{n}{i}") for i, c in enumerate((first, second)) for n in ("a", "b"))
        )
    finally:
        await other_http.aclose()
    # 40 mutations (400 points) through a 200-point bucket restoring 100 a second: spaced by
    # the shared mirror (2 s of waits), not by Shopify's THROTTLED answers.
    assert len(harness.sim.tags(harness.shop.domain, customer.id)) == 41
    assert second.stats.throttled + first.stats.throttled <= 3
    assert second.stats.waited_seconds > 0
    snapshot = await ShopThrottle(harness.redis).snapshot(harness.shop.domain)
    assert (snapshot["maximum"], snapshot["rate"]) == (200.0, 100.0)
    assert snapshot["inflight"] == 0


async def test_limits_are_learned_from_the_answers_for_each_plan(harness: Harness) -> None:
    plus = harness.sim.add_shop(f"plus-{harness.shop.id}", plan="plus")
    plus_token = harness.sim.install(plus.domain).access_token
    plus_ref = ShopRef(harness.shop.id + 1000, plus.domain)

    async def tokens(shop: ShopRef) -> str:
        return plus_token if shop == plus_ref else harness.token

    client = admin_client(harness.http, harness.redis, tokens)
    for shop in (harness.shop, plus_ref):
        await client.execute(shop, FIND_BY_CODE, {"code": "NOPE"})
    throttle = ShopThrottle(harness.redis)
    for shop, plan in ((harness.shop, "standard"), (plus_ref, "plus")):
        limits = harness.sim.config.plan(plan)
        snapshot = await throttle.snapshot(shop.domain)
        assert (snapshot["maximum"], snapshot["rate"]) == (
            limits.maximum_available,
            limits.restore_rate,
        )
    # A Plus bucket takes 150 mutations at once; a Standard one would make the 150th wait.
    customer = harness.sim.add_customer(plus.domain, "vip@example.com")
    await asyncio.gather(
        *(
            client.execute(plus_ref, TAGS_ADD, {"id": customer.gid, "tags": [f"t{i}"]})
            for i in range(150)
        )
    )
    assert client.stats.waited_seconds == 0
    assert client.stats.throttled == 0


def _throttle_waits() -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        if family.name == "boomerang_shopify_throttle_waits"
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels["reason"] == "reserved"
    )


async def test_one_shops_code_burst_does_not_hold_back_another_shop(harness: Harness) -> None:
    """Shop A's bucket is empty and a burst of its codes waits on it (counted in the
    throttle-wait metric); shop B, sharing the worker, the client and Redis, is answered at once."""
    harness.sim.set_plan(harness.shop.domain, "slow")  # 25 points/s
    bucket = harness.sim.graphql.bucket(harness.sim.shop(harness.shop.domain))
    assert bucket.try_take(bucket.available)
    other = harness.sim.add_shop(f"other-{harness.shop.id}", plan="standard")
    other_token = harness.sim.install(other.domain).access_token
    other_ref = ShopRef(harness.shop.id + 1000, other.domain)
    customer = harness.sim.add_customer(other.domain, "pat@example.com")

    async def tokens(shop: ShopRef) -> str:
        return other_token if shop == other_ref else harness.token

    client = admin_client(harness.http, harness.redis, tokens)
    waits_before = _throttle_waits()

    async def code(i: int) -> str:
        issued = await issue_code(
            harness.sessions,
            harness.gateway,
            harness.shop,
            purpose=CodePurpose.LOYALTY_REWARD,
            idempotency_key=f"slow-burst:{i}",
            offer=offer(),
            recipient=Recipient(email=None),
            prefix="VIP",
        )
        return issued.code

    burst = asyncio.gather(*(code(i) for i in range(10)))
    await asyncio.sleep(0.5)  # A's calls are queued on its bucket
    started = time.monotonic()
    for i in range(5):
        await client.execute(other_ref, TAGS_ADD, {"id": customer.gid, "tags": [f"b{i}"]})
    other_took = time.monotonic() - started
    assert not burst.done()
    codes = await burst
    assert len(set(codes)) == 10
    assert other_took < 2.0
    assert client.stats.waited_seconds == 0
    assert _throttle_waits() > waits_before
