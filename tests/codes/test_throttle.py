"""The client spends the shop's bucket to the full without surfacing a throttle."""

from __future__ import annotations

import asyncio

from app.codes.offers import CodePurpose, Recipient
from app.codes.service import issue_code
from app.shopify.admin.discounts import FIND_BY_CODE
from tests.codes.conftest import Harness, offer


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
    harness.sim.set_plan(harness.shop.domain, "slow")  # 25 points/s: a 1-point call waits 40 ms
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
    # (requested 1 − available ~0) / 25 per second
    assert 0 < slept[0] <= 0.04
    assert [r.throttled for r in harness.sim.store.requests] == [True, False]
