"""The Admin API client against Shopify's edge failures (injected in the simulator): what it
retries, how long it waits, when it gives up, and that the shared throttle never keeps points
reserved for a call that ended."""

from __future__ import annotations

import asyncio

import pytest

from app.errors import ShopifyUnavailable, ShopTokenInvalid
from app.i18n import Text
from app.shopify.admin.client import AdminClient, RetryPolicy
from app.shopify.admin.discounts import FIND_BY_CODE
from app.shopify.admin.types import ShopRef
from app.shopify.throttle import ShopThrottle
from tests.codes.conftest import Harness, admin_client

LOOKUP = {"code": "NOPE"}


class Sleeps:
    """Records the client's pauses, then really sleeps them (the simulator's clock is real)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(seconds)


def _client(h: Harness, sleeps: Sleeps, policy: RetryPolicy | None = None) -> AdminClient:
    return admin_client(h.http, h.redis, h.tokens, policy=policy, sleep=sleeps)


async def _nothing_reserved(h: Harness) -> None:
    throttle = ShopThrottle(h.redis)
    assert await throttle.in_flight(h.shop.domain) == 0
    assert (await throttle.snapshot(h.shop.domain)).get("inflight", 0.0) == 0.0


def _seen(h: Harness) -> list[str | None]:
    return [r.fault for r in h.sim.store.requests]


async def test_gateway_errors_and_dropped_connections_are_retried_with_jittered_backoff(
    harness: Harness,
) -> None:
    policy = RetryPolicy(base_delay=0.01, max_delay=0.05)
    sleeps = Sleeps()
    client = _client(harness, sleeps, policy)
    harness.sim.inject_faults(harness.shop.domain, "503")
    harness.sim.inject_faults(harness.shop.domain, "502")
    harness.sim.inject_faults(harness.shop.domain, "drop")
    harness.sim.inject_faults(harness.shop.domain, "504")

    data = await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)

    assert data == {"codeDiscountNodeByCode": None}
    assert _seen(harness) == ["503", "502", "drop", "504", None]
    assert client.stats.transient_retries == 4
    # Full jitter: each pause anywhere in [0, min(max, base · 2^attempt)].
    assert len(sleeps.seconds) == 4
    for attempt, pause in enumerate(sleeps.seconds, start=1):
        assert 0 <= pause <= min(policy.max_delay, policy.base_delay * 2**attempt)
    await _nothing_reserved(harness)


async def test_too_many_requests_waits_what_retry_after_says(harness: Harness) -> None:
    sleeps = Sleeps()
    client = _client(harness, sleeps)
    harness.sim.inject_faults(harness.shop.domain, "429", retry_after=0.3)

    await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)

    assert _seen(harness) == ["429", None]
    [pause] = sleeps.seconds
    assert 0.3 <= pause <= 0.3 + 0.25  # Retry-After plus a little jitter
    await _nothing_reserved(harness)


async def test_a_200_that_is_not_json_is_retried(harness: Harness) -> None:
    client = _client(harness, Sleeps(), RetryPolicy(base_delay=0.01))
    harness.sim.inject_faults(harness.shop.domain, "garbled")

    assert await client.execute(harness.shop, FIND_BY_CODE, LOOKUP) == {
        "codeDiscountNodeByCode": None
    }
    assert _seen(harness) == ["garbled", None]
    await _nothing_reserved(harness)


async def test_retries_exhausted_raise_shopify_unavailable(harness: Harness) -> None:
    policy = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.02)
    client = _client(harness, Sleeps(), policy)
    harness.sim.inject_faults(harness.shop.domain, "502", count=10)

    with pytest.raises(ShopifyUnavailable) as failed:
        await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)

    assert _seen(harness) == ["502"] * 4
    assert "run again later" in failed.value.text.en
    assert "relancée plus tard" in failed.value.text.fr
    await _nothing_reserved(harness)


async def test_dropped_connections_exhausted_raise_shopify_unavailable(harness: Harness) -> None:
    client = _client(harness, Sleeps(), RetryPolicy(attempts=3, base_delay=0.01))
    harness.sim.inject_faults(harness.shop.domain, "drop", count=3)

    with pytest.raises(ShopifyUnavailable, match="RemoteProtocolError"):
        await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)
    assert _seen(harness) == ["drop"] * 3
    await _nothing_reserved(harness)


async def test_a_failing_token_provider_reserves_nothing(harness: Harness) -> None:
    async def no_token(_shop: ShopRef) -> str:
        raise ShopTokenInvalid(Text(en="no usable token", fr="aucun jeton utilisable"))

    client = admin_client(harness.http, harness.redis, no_token)
    for _ in range(5):
        with pytest.raises(ShopTokenInvalid):
            await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)

    assert harness.sim.store.requests == []
    await _nothing_reserved(harness)


async def test_a_call_cancelled_or_timed_out_mid_request_gives_its_points_back(
    harness: Harness,
) -> None:
    client = _client(harness, Sleeps())
    # Learn the shop's bucket first, so the mirror holds a state to corrupt.
    await client.execute(harness.shop, FIND_BY_CODE, LOOKUP)
    harness.sim.inject_faults(harness.shop.domain, "stall", delay=5.0)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.execute(harness.shop, FIND_BY_CODE, LOOKUP), timeout=0.2)
    await _nothing_reserved(harness)

    harness.sim.inject_faults(harness.shop.domain, "stall", delay=5.0)
    task = asyncio.create_task(client.execute(harness.shop, FIND_BY_CODE, LOOKUP))
    for _ in range(500):  # until the request reached the simulator
        if not harness.sim.pending_faults(harness.shop.domain):
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _nothing_reserved(harness)


async def test_a_reservation_left_by_a_dead_process_expires(harness: Harness) -> None:
    throttle = ShopThrottle(harness.redis, hold_seconds=0.2)
    await throttle.reserve(harness.shop.domain, 50)  # never settled: the caller died
    assert (await throttle.snapshot(harness.shop.domain))["inflight"] == 50
    await asyncio.sleep(0.3)

    fresh = await throttle.reserve(harness.shop.domain, 10)

    assert (await throttle.snapshot(harness.shop.domain))["inflight"] == 10
    assert await throttle.in_flight(harness.shop.domain) == 1
    await throttle.release(fresh)
    await throttle.release(fresh)  # settling twice changes nothing
    await _nothing_reserved(harness)
