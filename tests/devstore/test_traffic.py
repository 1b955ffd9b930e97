"""Seeded traffic: deterministic per seed, realistic mix, hooks for code redemption, replay."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.disorder import Disorder
from devstore.server import Simulator
from devstore.state import Customer
from devstore.traffic import TrafficEvent, TrafficGenerator, TrafficSettings, replay
from devstore.webhooks import Delivery
from tests.devstore.conftest import Receiver

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


def test_consent_is_written_as_shopify_writes_it() -> None:
    _, events = week(12)
    consents = {
        e.payload["email_marketing_consent"]["state"]: e.payload["email_marketing_consent"]
        for e in events
        if e.topic == "customers/create"
    }
    # A customer who never subscribed gave no opt-in level and no consent date.
    assert consents["not_subscribed"]["opt_in_level"] is None
    assert consents["not_subscribed"]["consent_updated_at"] is None
    assert consents["subscribed"]["opt_in_level"] == "single_opt_in"
    assert consents["subscribed"]["consent_updated_at"]
    checkout_customers = [
        e.payload["customer"]["email_marketing_consent"]
        for e in events
        if e.topic == "checkouts/create" and e.payload["customer"]
    ]
    assert {c["opt_in_level"] for c in checkout_customers} == {None, "single_opt_in"}


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
    receiver = Receiver()
    sim = Simulator(SimulatorConfig(), clock=ManualClock(), webhook_transport=receiver.transport())
    sim.add_shop(SHOP)
    sim.install(SHOP)
    generator = TrafficGenerator(sim.storefront, sim.shop(SHOP), TrafficSettings(seed=5, days=1))
    events = list(generator.events())[:20]
    deliveries = await replay(events, sim, SHOP)
    await sim.webhooks.aclose()
    assert len(deliveries) == len(events) == len(receiver.requests)
    assert receiver.topics() == [e.topic for e in events]
    assert receiver.requests[0].headers["X-Shopify-Triggered-At"].startswith("2026-11-02T")


def flaky_orders_paid(request: httpx.Request) -> bool:
    """Refuses every orders/paid of an order whose id is even: the same ones on every run."""
    if request.headers["X-Shopify-Topic"] != "orders/paid":
        return False
    return int(json.loads(request.content)["id"]) % 2 == 0


DISORDER = Disorder(seed=4, duplicate_rate=0.2, reorder_window=4, delay_rate=0.1, max_delay=600)


async def disordered_run(
    seed: int, disorder: Disorder
) -> tuple[list[TrafficEvent], list[Delivery], Receiver]:
    """A seeded day of traffic replayed, disordered, into an app that refuses some deliveries."""
    receiver = Receiver(refuse=flaky_orders_paid)
    config = SimulatorConfig(webhook_time_compression=1e6, webhook_max_retries=3)
    sim = Simulator(config, clock=ManualClock(), webhook_transport=receiver.transport())
    sim.add_shop(SHOP)
    sim.install(SHOP)
    generator = TrafficGenerator(sim.storefront, sim.shop(SHOP), TrafficSettings(seed=seed, days=1))
    events = list(generator.events())
    deliveries = await replay(events, sim, SHOP, disorder=disorder)
    await sim.webhooks.aclose()
    return events, deliveries, receiver


def outcome(deliveries: list[Delivery]) -> list[tuple[str, bytes, list[tuple[Any, ...]]]]:
    """What each delivery was and what happened to it, webhook ids aside (those are unique)."""
    return [
        (d.topic, d.body, [(a.status, a.after, a.duplicate) for a in d.attempts])
        for d in deliveries
    ]


async def test_same_seed_gives_the_same_deliveries_retries_and_disorder() -> None:
    events, first, _ = await disordered_run(6, DISORDER)
    _, again, _ = await disordered_run(6, DISORDER)
    assert outcome(first) == outcome(again)
    # The run was not trivially tidy: duplicates, retries, give-ups and a changed order.
    attempts = [a for d in first for a in d.attempts]
    assert any(a.duplicate for a in attempts)
    assert any(a.after > 0 for a in attempts)
    assert any(not d.delivered for d in first)
    assert [d.topic for d in first] != [e.topic for e in events]
    assert sorted(d.body for d in first) == sorted(
        json.dumps(e.payload, separators=(",", ":")).encode() for e in events
    )
    _, other, _ = await disordered_run(6, Disorder(seed=5, duplicate_rate=0.2, reorder_window=4))
    assert outcome(other) != outcome(first)


async def test_delayed_deliveries_reach_the_app_after_later_ones() -> None:
    disorder = Disorder(seed=2, delay_rate=0.3, max_delay=3600)
    _, deliveries, receiver = await disordered_run(9, disorder)
    sent = [d.webhook_id for d in deliveries]
    arrived = [r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests]
    first_arrivals = list(dict.fromkeys(arrived))
    assert sorted(first_arrivals) == sorted(sent)
    assert first_arrivals != sent


JOURNEY_NOTES = {"new sign-up", "subscribed later", "sign-up's first order", "store history"}


def test_sign_ups_come_with_and_without_consent_and_some_subscribe_later() -> None:
    _, events = week(5, signups_per_day=12)
    signups = [e for e in events if e.note == "new sign-up"]
    assert signups
    assert all(e.topic == "customers/create" for e in signups)
    states = {e.payload["id"]: e.payload["email_marketing_consent"]["state"] for e in signups}
    assert set(states.values()) == {"subscribed", "not_subscribed"}
    later = [e for e in events if e.topic == "customers_email_marketing_consent/update"]
    assert later
    for event in later:
        # Shopify's payload for the topic; only customers created without consent subscribe.
        assert set(event.payload) == {"customer_id", "email_address", "email_marketing_consent"}
        assert states[event.payload["customer_id"]] == "not_subscribed"
        assert event.payload["email_marketing_consent"]["state"] == "subscribed"
        assert event.payload["email_marketing_consent"]["opt_in_level"] == "single_opt_in"
        created = next(e for e in signups if e.payload["id"] == event.payload["customer_id"])
        assert event.at > created.at
    first_orders = [e for e in events if e.topic == "orders/create" and e.note.startswith("sign")]
    assert first_orders
    assert {e.payload["customer"]["id"] for e in first_orders} <= set(states)


def test_the_store_history_holds_lapsed_customers() -> None:
    _, events = week(5, lapsed_customers=9)
    history = [e for e in events if e.note == "store history"]
    assert {e.topic for e in history} == {"orders/create"}
    start = TrafficSettings().start
    assert all(e.at == start for e in history)
    last_orders: dict[int, datetime] = {}
    counts: Counter[int] = Counter()
    for event in history:
        placed = datetime.fromisoformat(event.payload["processed_at"])
        customer = event.payload["customer"]["id"]
        counts[customer] += 1
        last_orders[customer] = max(placed, last_orders.get(customer, placed))
    assert len(last_orders) == 9
    # Months old: lapsed by 90 days, or by their own rhythm (3 or more orders, 70–85 days).
    for customer, last in last_orders.items():
        age = start - last
        assert age > timedelta(days=90) or (counts[customer] >= 3 and age > timedelta(days=69))
    assert any(n >= 3 for n in counts.values())


def test_sign_ups_and_history_leave_the_checkout_traffic_as_it_was() -> None:
    _, plain = week(7, signups_per_day=0, lapsed_customers=0)
    _, full = week(7)
    shape = [(e.at, e.topic, e.note) for e in full if e.note not in JOURNEY_NOTES]
    shape = [s for s in shape if s[1] != "customers_email_marketing_consent/update"]
    assert shape == [(e.at, e.topic, e.note) for e in plain]
    assert len(full) > len(plain)
