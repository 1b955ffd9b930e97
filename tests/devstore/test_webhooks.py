"""The webhook sender: signature, headers, retries with one webhook id, duplicates, reordering."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
from typing import Any

import httpx

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.payloads import fixture
from devstore.server import Simulator
from devstore.webhooks import Outgoing, WebhookSender

SHOP = "demo.myshopify.com"


class Receiver:
    """A stand-in app: records requests, fails the first `failures` of them."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.failures:
            return httpx.Response(500)
        return httpx.Response(200)


def sender(receiver: Receiver, config: SimulatorConfig) -> WebhookSender:
    return WebhookSender(config, ManualClock(), transport=httpx.MockTransport(receiver))


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


async def test_duplicates_and_reordering_on_request(config: SimulatorConfig) -> None:
    receiver = Receiver()
    webhooks = sender(receiver, config)
    (delivery,) = await webhooks.send(
        SHOP, "checkouts/update", fixture("checkouts_update"), duplicate=True
    )
    ids = [r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests]
    assert ids == [delivery.webhook_id, delivery.webhook_id]
    receiver.requests.clear()
    items = []
    for number in range(6):
        payload = fixture("checkouts_update")
        payload["token"] = f"tok-{number}"
        items.append(Outgoing(SHOP, "checkouts/update", payload))
    await webhooks.send_batch(items, reorder=random.Random(3))
    await webhooks.aclose()
    received = [json.loads(r.content)["token"] for r in receiver.requests]
    assert sorted(received) == [f"tok-{n}" for n in range(6)]
    assert received != [f"tok-{n}" for n in range(6)]


async def test_simulator_delivers_into_an_asgi_app(config: SimulatorConfig) -> None:
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

    sim = Simulator(config, clock=ManualClock(), webhook_transport=httpx.ASGITransport(app=app))
    sim.add_shop(SHOP)
    placed = await sim.checkout(SHOP, email="ned@example.com")
    await sim.uninstall(SHOP)
    await sim.webhooks.aclose()
    assert [s["path"] for s in seen] == ["/webhooks"] * 3
    assert seen[0]["body"]["id"] == placed.order["id"]
    assert seen[2]["body"]["myshopify_domain"] == SHOP
    assert sim.store.access_tokens == {} or all(t.revoked for t in sim.store.access_tokens.values())


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
    def receiver(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200 if request.url.path == "/webhooks" else 503)

    sim = Simulator(config, clock=ManualClock(), webhook_transport=httpx.MockTransport(receiver))
    shop = sim.add_shop(SHOP)
    from devstore.state import WebhookSubscription

    shop.subscriptions[1] = WebhookSubscription(
        1, "ORDERS_PAID", "https://other.example.com/hooks", "JSON", sim.clock.now()
    )
    deliveries = await sim.emit(SHOP, "orders/paid", fixture("orders_paid"))
    await sim.webhooks.aclose()
    assert [d.delivered for d in deliveries] == [True, False]
    assert len(deliveries[1].attempts) == 9
    assert deliveries[0].event_id == deliveries[1].event_id
    assert shop.subscriptions == {}
