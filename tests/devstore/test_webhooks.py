"""The webhook sender: signature, headers, retries in the background on Shopify's schedule,
duplicates, reordering, delays; what an uninstalled app still receives."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.disorder import Disorder
from devstore.payloads import fixture
from devstore.server import Simulator
from devstore.state import WebhookSubscription
from devstore.webhooks import Outgoing, WebhookSender
from tests.devstore.conftest import Receiver

SHOP = "demo.myshopify.com"
FOUR_HOURS = 4 * 3600.0
# Shopify's four hours of retries in one real second.
ONE_SECOND_WINDOW = SimulatorConfig(
    app_url="https://app.example.com", webhook_time_compression=FOUR_HOURS
)


def sender(receiver: Receiver, config: SimulatorConfig) -> WebhookSender:
    return WebhookSender(config, ManualClock(), transport=receiver.transport())


def valid_signature(request: httpx.Request, secret: str) -> bool:
    digest = hmac.new(secret.encode(), request.content, hashlib.sha256).digest()
    expected = base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, request.headers["X-Shopify-Hmac-Sha256"])


async def test_signature_and_headers(config: SimulatorConfig) -> None:
    receiver = Receiver()
    webhooks = sender(receiver, config)
    await webhooks.send(SHOP, "orders/create", fixture("orders_create"))
    await webhooks.aclose()
    (request,) = receiver.requests
    assert str(request.url) == "https://app.example.com/webhooks"
    assert valid_signature(request, config.api_secret)
    assert not valid_signature(request, "shpss_someone_else_someone_else_00")
    headers = request.headers
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == SHOP
    assert headers["X-Shopify-API-Version"] == "2026-10"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Shopify-Triggered-At"].endswith("Z")
    assert json.loads(request.content)["id"] == 820982911946154508


async def test_failing_receiver_is_retried_with_the_same_webhook_id(
    config: SimulatorConfig,
) -> None:
    receiver = Receiver(failures=3)
    webhooks = sender(receiver, config)
    (delivery,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"))
    await webhooks.aclose()
    assert len(receiver.requests) == 4
    assert {r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests} == {delivery.webhook_id}
    assert {r.content for r in receiver.requests} == {delivery.body}
    assert [a.status for a in delivery.attempts] == [500, 500, 500, 200]
    assert delivery.delivered


async def test_gives_up_after_eight_retries(config: SimulatorConfig) -> None:
    receiver = Receiver(failures=100)
    webhooks = sender(receiver, config)
    (delivery,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"))
    await webhooks.aclose()
    assert len(delivery.attempts) == 9
    assert not delivery.delivered


async def test_retry_waits_double_and_add_up_to_four_hours() -> None:
    webhooks = sender(Receiver(failures=100), ONE_SECOND_WINDOW)
    started = time.monotonic()
    (delivery,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"))
    await webhooks.aclose()
    first, *retries = delivery.attempts
    waits = [attempt.after for attempt in retries]
    assert len(waits) == 8
    assert all(later == pytest.approx(2 * earlier) for earlier, later in pairwise(waits))
    assert sum(waits) == pytest.approx(FOUR_HOURS)
    assert 50 < waits[0] < 60  # the first retry about a minute after the failure
    # The waits really happen, compressed: each gap at least its share of the one second.
    gaps = [b.started - a.started for a, b in pairwise(delivery.attempts)]
    for gap, wait in zip(gaps, waits, strict=True):
        assert gap >= wait / FOUR_HOURS - 0.002
    assert delivery.attempts[-1].started - first.started >= 0.99
    assert time.monotonic() - started < 5


async def test_a_failing_endpoint_does_not_hold_up_the_deliveries_after_it() -> None:
    receiver = Receiver(refuse=lambda request: request.url.path == "/broken")
    webhooks = sender(receiver, ONE_SECOND_WINDOW)
    (failing,) = await webhooks.send(
        SHOP, "orders/paid", fixture("orders_paid"), url="https://app.example.com/broken"
    )
    others = []
    for number in range(10):
        payload = fixture("checkouts_update")
        payload["token"] = f"tok-{number}"
        others.extend(await webhooks.send(SHOP, "checkouts/update", payload))
    # Every later delivery is through while the failing one still waits for its retries.
    assert all(delivery.delivered for delivery in others)
    assert len(failing.attempts) < 9
    assert webhooks.pending == 1
    await webhooks.aclose()
    assert len(failing.attempts) == 9
    last_retry = failing.attempts[-1].started
    assert all(d.attempts[0].started < last_retry for d in others)
    # So the app saw the failing delivery's last try after the ones sent behind it.
    topics = [r.headers["X-Shopify-Topic"] for r in receiver.requests]
    assert topics[-1] == "orders/paid"
    assert topics.index("checkouts/update") < len(topics) - 1


async def test_duplicates_and_reordering_on_request(config: SimulatorConfig) -> None:
    receiver = Receiver()
    webhooks = sender(receiver, config)
    (delivery,) = await webhooks.send(
        SHOP, "checkouts/update", fixture("checkouts_update"), duplicate=True
    )
    ids = [r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests]
    assert ids == [delivery.webhook_id, delivery.webhook_id]
    assert [a.duplicate for a in delivery.attempts] == [False, True]
    receiver.requests.clear()
    items = []
    for number in range(6):
        payload = fixture("checkouts_update")
        payload["token"] = f"tok-{number}"
        items.append(Outgoing(SHOP, "checkouts/update", payload))
    sent = await webhooks.send_batch(items, disorder=Disorder(seed=3, reorder_window=6))
    await webhooks.aclose()
    received = [json.loads(r.content)["token"] for r in receiver.requests]
    assert sorted(received) == [f"tok-{n}" for n in range(6)]
    assert received != [f"tok-{n}" for n in range(6)]
    assert [d.payload["token"] for d in sent] == [f"tok-{n}" for n in range(6)]


async def test_a_delayed_delivery_arrives_after_the_ones_sent_behind_it() -> None:
    receiver = Receiver()
    webhooks = sender(receiver, ONE_SECOND_WINDOW)
    asked = time.monotonic()
    (late,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"), delay=3600)
    (prompt,) = await webhooks.send(SHOP, "orders/create", fixture("orders_create"))
    assert prompt.delivered
    assert not late.attempts
    await webhooks.aclose()
    assert late.delivered
    assert receiver.topics() == ["orders/create", "orders/paid"]
    assert late.attempts[0].started - asked >= 0.25 - 0.002  # an hour of Shopify time


def installed_simulator(receiver: Receiver, config: SimulatorConfig) -> Simulator:
    sim = Simulator(config, clock=ManualClock(), webhook_transport=receiver.transport())
    sim.add_shop(SHOP)
    sim.install(SHOP)
    return sim


async def test_simulator_delivers_into_an_asgi_app() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append({"path": scope["path"], "body": json.loads(body)})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    config = SimulatorConfig(app_url="https://app.example.com", webhook_time_compression=1e6)
    sim = Simulator(config, clock=ManualClock(), webhook_transport=httpx.ASGITransport(app=app))
    sim.add_shop(SHOP)
    tokens = sim.install(SHOP)
    placed = await sim.checkout(SHOP, email="ned@example.com")
    await sim.uninstall(SHOP)
    await sim.webhooks.aclose()
    assert [s["path"] for s in seen] == ["/webhooks"] * 4
    assert seen[0]["body"]["id"] == placed.order["id"]
    assert seen[2]["body"]["myshopify_domain"] == SHOP
    assert seen[3]["body"]["shop_domain"] == SHOP
    issued = sim.store.access_tokens[tokens.access_token]
    assert issued.revoked


async def test_an_app_that_never_installed_hears_nothing(config: SimulatorConfig) -> None:
    receiver = Receiver()
    sim = Simulator(config, clock=ManualClock(), webhook_transport=receiver.transport())
    sim.add_shop(SHOP)
    assert await sim.checkout(SHOP, email="ned@example.com")
    assert await sim.emit(SHOP, "customers/create", fixture("customers_create")) == []
    await sim.webhooks.aclose()
    assert receiver.requests == []


async def test_after_uninstall_only_app_uninstalled_then_shop_redact_48_hours_later() -> None:
    receiver = Receiver()
    config = SimulatorConfig(app_url="https://app.example.com", webhook_time_compression=1e6)
    sim = installed_simulator(receiver, config)
    shop = sim.shop(SHOP)
    shop.subscriptions[1] = WebhookSubscription(
        1, "ORDERS_PAID", "https://other.example.com/hooks", "JSON", sim.clock.now()
    )
    uninstalled_at = sim.clock.now()
    await sim.uninstall(SHOP)
    assert shop.subscriptions == {}  # API subscriptions go with the installation
    assert await sim.emit(SHOP, "orders/paid", fixture("orders_paid")) == []
    assert await sim.emit(SHOP, "customers/update", fixture("customers_update")) == []
    placed = await sim.checkout(SHOP, email="late@example.com")  # the shop itself goes on
    assert placed.order["id"]
    await sim.webhooks.aclose()
    assert receiver.topics() == ["app/uninstalled", "shop/redact"]
    redact = receiver.requests[1]
    triggered = datetime.fromisoformat(redact.headers["X-Shopify-Triggered-At"])
    assert triggered - uninstalled_at == timedelta(hours=48)
    assert json.loads(redact.content)["shop_domain"] == SHOP


async def test_slow_receiver_times_out_and_is_retried() -> None:
    calls: list[float] = []

    async def slow_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        calls.append(0)
        if len(calls) == 1:
            await asyncio.sleep(0.5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    config = SimulatorConfig(
        app_url="https://app.example.com",
        webhook_total_timeout=0.05,
        webhook_time_compression=100_000.0,
    )
    webhooks = WebhookSender(config, ManualClock(), transport=httpx.ASGITransport(app=slow_app))
    (delivery,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"))
    await webhooks.aclose()
    assert [a.error for a in delivery.attempts] == ["timeout", None]
    assert delivery.attempts[1].status == 200


async def test_api_subscription_is_deleted_after_its_deliveries_fail(
    config: SimulatorConfig,
) -> None:
    receiver = Receiver(refuse=lambda request: request.url.path != "/webhooks")
    sim = installed_simulator(receiver, config)
    shop = sim.shop(SHOP)
    shop.subscriptions[1] = WebhookSubscription(
        1, "ORDERS_PAID", "https://other.example.com/hooks", "JSON", sim.clock.now()
    )
    deliveries = await sim.emit(SHOP, "orders/paid", fixture("orders_paid"))
    assert 1 in shop.subscriptions  # still retrying
    await sim.webhooks.aclose()
    assert [d.delivered for d in deliveries] == [True, False]
    assert len(deliveries[1].attempts) == 9
    assert deliveries[0].event_id == deliveries[1].event_id
    assert shop.subscriptions == {}


async def test_pending_retries_can_be_dropped_at_shutdown() -> None:
    slow = SimulatorConfig(app_url="https://app.example.com", webhook_time_compression=1.0)
    webhooks = sender(Receiver(failures=100), slow)
    (delivery,) = await webhooks.send(SHOP, "orders/paid", fixture("orders_paid"))
    assert webhooks.pending == 1
    await webhooks.cancel_pending()
    await webhooks.aclose()
    assert webhooks.pending == 0
    assert len(delivery.attempts) == 1
