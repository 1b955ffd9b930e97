"""Seeded traffic: deterministic per seed, realistic mix, hooks for code redemption, replay."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.server import Simulator
from devstore.state import Customer
from devstore.traffic import TrafficEvent, TrafficGenerator, TrafficSettings, replay

SHOP = "demo.myshopify.com"


def week(seed: int, **overrides: Any) -> tuple[Simulator, list[TrafficEvent]]:
    sim = Simulator(SimulatorConfig(), clock=ManualClock())
    sim.add_shop(SHOP)
    generator = TrafficGenerator(
        sim.storefront, sim.shop(SHOP), TrafficSettings(seed=seed, days=3, **overrides)
    )
    return sim, list(generator.events())


def serialized(events: list[TrafficEvent]) -> list[str]:
    return [json.dumps([e.at.isoformat(), e.topic, e.payload], sort_keys=True) for e in events]


def test_same_seed_gives_the_same_events() -> None:
    _, first = week(7)
    _, second = week(7)
    assert len(first) > 50
    assert serialized(first) == serialized(second)


def test_another_seed_gives_other_events() -> None:
    _, first = week(7)
    _, other = week(8)
    assert serialized(first) != serialized(other)


def test_events_are_in_time_order_and_cover_the_topics() -> None:
    _, events = week(11, sessions_per_day=80)
    times = [e.at for e in events]
    assert times == sorted(times)
    topics = Counter(e.topic for e in events)
    for topic in (
        "customers/create",
        "checkouts/create",
        "checkouts/update",
        "orders/create",
        "orders/paid",
        "orders/fulfilled",
    ):
        assert topics[topic] > 0, topic
    locales = {e.payload["customer_locale"] for e in events if e.topic == "checkouts/create"}
    assert locales == {"en", "fr"}
    guests = [e for e in events if e.topic == "checkouts/create" and e.payload["email"] is None]
    assert guests
    abandoned = topics["checkouts/create"] - sum(
        1 for e in events if e.topic == "checkouts/update" and e.payload["completed_at"]
    )
    assert abandoned > topics["checkouts/create"] // 3


def test_recovered_checkout_redeems_the_code_the_app_sent() -> None:
    sim = Simulator(SimulatorConfig(), clock=ManualClock())
    shop = sim.add_shop(SHOP)
    token = sim.install(SHOP).access_token
    assert token
    handed_out: list[str] = []

    def code_for(customer: Customer, checkout: dict[str, Any]) -> str:
        # What the app would have done: one code restricted to this customer.
        from datetime import timedelta

        from devstore.state import CodeDiscount

        code = f"BACK-{customer.id}-{len(handed_out)}"
        discount = CodeDiscount(
            id=sim.store.ids.next(),
            kind="basic",
            title="Come back",
            percentage=0.1,
            starts_at=sim.clock.now() - timedelta(days=30),
            ends_at=None,
            created_at=sim.clock.now(),
            customer_ids=frozenset({customer.id}),
        )
        shop.discounts[discount.id] = discount
        shop.add_code(discount, code, sim.store.ids)
        handed_out.append(code)
        assert checkout["token"]
        return code

    generator = TrafficGenerator(
        sim.storefront, shop, TrafficSettings(seed=3, days=4, recover_rate=0.9), code_for=code_for
    )
    events = list(generator.events())
    redeemed = [
        e.payload["discount_codes"][0]["code"]
        for e in events
        if e.topic == "orders/create" and e.payload["discount_codes"]
    ]
    assert handed_out
    assert redeemed
    assert set(redeemed) <= set(handed_out)
    assert sum(d.usage_count for d in shop.discounts.values()) == len(redeemed)


async def test_replay_delivers_with_simulated_timestamps() -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    sim = Simulator(
        SimulatorConfig(), clock=ManualClock(), webhook_transport=httpx.MockTransport(receiver)
    )
    sim.add_shop(SHOP)
    generator = TrafficGenerator(sim.storefront, sim.shop(SHOP), TrafficSettings(seed=5, days=1))
    events = list(generator.events())[:20]
    deliveries = await replay(events, sim, SHOP)
    await sim.webhooks.aclose()
    assert len(deliveries) == len(events) == len(received)
    assert [r.headers["X-Shopify-Topic"] for r in received] == [e.topic for e in events]
    assert received[0].headers["X-Shopify-Triggered-At"].startswith("2026-11-02T")
