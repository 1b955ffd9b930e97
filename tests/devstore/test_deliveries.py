"""A shipment delivered, as Shopify reports it: fulfillment_events/create (the REST
FulfillmentEvent) and fulfillments/update (the REST Fulfillment, shipment_status delivered),
from the simulator's Python API and from seeded traffic; turning deliveries on leaves the rest
of a seed's traffic as it was."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx

from devstore.server import Simulator
from tests.devstore.conftest import Receiver
from tests.devstore.test_traffic import week

SHOP = "demo.myshopify.com"

# The REST FulfillmentEvent's fields (shopify.dev/docs/api/admin-rest/latest/resources/
# fulfillmentevent), each present in the webhook's body.
EVENT_FIELDS = {
    "id",
    "fulfillment_id",
    "status",
    "message",
    "happened_at",
    "city",
    "province",
    "country",
    "zip",
    "address1",
    "latitude",
    "longitude",
    "shop_id",
    "created_at",
    "updated_at",
    "estimated_delivery_at",
    "order_id",
    "admin_graphql_api_id",
}


async def test_a_delivered_order_sends_the_event_then_the_fulfillment(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    sim, _, receiver = wired
    placed = await sim.checkout(SHOP, email="ana@example.com")
    order_id = int(placed.order["id"])
    fulfilled = sim.payloads(SHOP).order_fulfilled(placed.order, sim.clock.now())
    sim.shop(SHOP).orders[order_id] = fulfilled
    fulfillment_id = fulfilled["fulfillments"][0]["id"]

    event = await sim.deliver_order(SHOP, order_id)
    await sim.webhooks.drain()
    assert receiver.topics()[-2:] == ["fulfillment_events/create", "fulfillments/update"]
    sent_event: dict[str, Any] = json.loads(receiver.requests[-2].content)
    sent_fulfillment: dict[str, Any] = json.loads(receiver.requests[-1].content)
    assert sent_event == event
    assert set(sent_event) == EVENT_FIELDS
    assert (sent_event["status"], sent_event["order_id"], sent_event["fulfillment_id"]) == (
        "delivered",
        order_id,
        fulfillment_id,
    )
    assert sent_event["admin_graphql_api_id"] == f"gid://shopify/FulfillmentEvent/{event['id']}"
    assert (sent_fulfillment["id"], sent_fulfillment["order_id"]) == (fulfillment_id, order_id)
    assert sent_fulfillment["shipment_status"] == "delivered"
    assert sent_fulfillment["updated_at"] == sent_event["happened_at"]
    # The shop's order now says so too (what its Admin API and orders/* bodies carry).
    stored = sim.shop(SHOP).orders[order_id]
    assert stored["fulfillments"][0]["shipment_status"] == "delivered"


def test_traffic_delivers_a_share_of_fulfilments_days_later() -> None:
    _, events = week(7, sessions_per_day=80, deliver_rate=0.8)
    fulfilled = {e.payload["id"]: e.at for e in events if e.topic == "orders/fulfilled"}
    delivered = [e for e in events if e.topic == "fulfillment_events/create"]
    updates = [e for e in events if e.topic == "fulfillments/update"]
    assert delivered
    assert len(updates) == len(delivered)
    for event in delivered:
        gap = event.at - fulfilled[event.payload["order_id"]]
        assert timedelta(days=1) <= gap <= timedelta(days=5)
        assert event.payload["status"] == "delivered"
    assert all(u.payload["shipment_status"] == "delivered" for u in updates)
    # Not every carrier reports: some fulfilments never get a delivered status.
    assert len({e.payload["order_id"] for e in delivered}) < len(fulfilled)


def test_deliveries_leave_the_rest_of_the_traffic_as_it_was() -> None:
    _, plain = week(7, sessions_per_day=80)
    _, full = week(7, sessions_per_day=80, deliver_rate=0.8)
    delivery_topics = {"fulfillment_events/create", "fulfillments/update"}
    rest = [(e.at, e.topic, e.payload.get("id")) for e in full if e.topic not in delivery_topics]
    assert rest == [(e.at, e.topic, e.payload.get("id")) for e in plain]
    assert len(full) > len(plain)
