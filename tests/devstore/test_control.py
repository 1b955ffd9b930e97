"""The /_sim control API that the demo and benchmarks drive from other processes."""

from __future__ import annotations

import json

import httpx
import pytest

from devstore import SimulatorConfig
from devstore.payloads import fixture
from devstore.server import Simulator
from tests.devstore.conftest import SHOP, Receiver, gql


async def test_control_api_round_trip(client: httpx.AsyncClient) -> None:
    created = await client.post("/_sim/shops", json={"name": "bench-1", "plan": "advanced"})
    assert created.status_code == 201
    assert created.json()["shop"] == "bench-1.myshopify.com"
    duplicate = await client.post("/_sim/shops", json={"name": "bench-1"})
    assert duplicate.status_code == 400
    installed = await client.post("/_sim/shops/bench-1.myshopify.com/install", json={})
    token = installed.json()["access_token"]
    response = await client.post(
        "/bench-1.myshopify.com/admin/api/2026-10/graphql.json",
        json={"query": "{ shop { plan { displayName } } }"},
        headers={"X-Shopify-Access-Token": token},
    )
    assert response.json()["data"]["shop"]["plan"]["displayName"] == "Advanced"
    assert response.json()["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 200.0
    minted = await client.post(f"/_sim/shops/{SHOP}/session-token", json={"user_id": 42})
    assert minted.json()["session_token"].count(".") == 2
    shops = await client.get("/_sim/shops")
    assert {s["shop"] for s in shops.json()["shops"]} == {SHOP, "bench-1.myshopify.com"}
    requests = await client.get("/_sim/requests")
    assert requests.json()["requests"][-1]["requested_cost"] == 2  # shop + plan


async def test_control_lists_codes_created_through_graphql(
    client: httpx.AsyncClient, token: str
) -> None:
    mutation = """mutation { discountCodeFreeShippingCreate(freeShippingCodeDiscount: {
      title: "Free shipping", code: "SHIPFREE", startsAt: "2026-01-01T00:00:00Z",
      usageLimit: 3, context: {all: ALL} }) { codeDiscountNode { id } userErrors { code } } }"""
    body = await gql(client, token, mutation)
    assert body["data"]["discountCodeFreeShippingCreate"]["userErrors"] == []
    listed = await client.get(f"/_sim/shops/{SHOP}/codes")
    (discount,) = listed.json()["discounts"]
    assert discount["codes"] == ["SHIPFREE"]
    assert discount["usage_limit"] == 3
    order = await client.post(
        f"/_sim/shops/{SHOP}/orders",
        json={"email": "pat@example.com", "discount_code": "SHIPFREE", "send_webhooks": False},
    )
    assert order.json()["order"]["discount_codes"] == [
        {"code": "SHIPFREE", "amount": "10.00", "type": "shipping"}
    ]
    listed = await client.get(f"/_sim/shops/{SHOP}/codes")
    assert listed.json()["discounts"][0]["usage_count"] == 1


async def test_serves_on_a_real_socket() -> None:
    sim = Simulator(SimulatorConfig())
    sim.add_shop("sock")
    token = sim.install("sock").access_token
    async with sim.serve() as base_url, httpx.AsyncClient() as http:
        response = await http.post(
            sim.graphql_url(base_url, "sock"),
            json={"query": "{ shop { myshopifyDomain } }"},
            headers={"X-Shopify-Access-Token": token},
        )
    assert response.json()["data"]["shop"]["myshopifyDomain"] == "sock.myshopify.com"


def batch(count: int) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for number in range(count):
        payload = fixture("checkouts_update")
        payload["token"] = f"tok-{number}"
        items.append({"topic": "checkouts/update", "payload": payload})
    return items


async def test_batch_is_duplicated_and_reordered_on_request(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    sim, client, receiver = wired
    disorder = {"seed": 3, "duplicate_rate": 1.0, "reorder_window": 8}
    answer = await client.post(
        f"/_sim/shops/{SHOP}/webhooks/batch", json={"webhooks": batch(8), "disorder": disorder}
    )
    assert answer.status_code == 200
    deliveries = answer.json()["deliveries"]
    assert len(deliveries) == 8
    assert all([a["duplicate"] for a in d["attempts"]] == [False, True] for d in deliveries)
    tokens = [json.loads(r.content)["token"] for r in receiver.requests]
    assert len(tokens) == 16
    assert sorted(set(tokens)) == sorted(f"tok-{n}" for n in range(8))
    assert tokens[::2] != [f"tok-{n}" for n in range(8)]  # each posted twice, out of order
    # The same seed shuffles the same way.
    again = await client.post(
        f"/_sim/shops/{SHOP}/webhooks/batch", json={"webhooks": batch(8), "disorder": disorder}
    )
    assert again.status_code == 200
    later = [json.loads(r.content)["token"] for r in receiver.requests[16:]]
    assert later == tokens
    assert sim.webhooks.pending == 0


async def test_a_delayed_webhook_is_answered_at_once_and_delivered_later(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    sim, client, receiver = wired
    answer = await client.post(
        f"/_sim/shops/{SHOP}/webhooks",
        json={"topic": "orders/paid", "payload": fixture("orders_paid"), "delay": 7200},
    )
    (delivery,) = answer.json()["deliveries"]
    assert delivery["attempts"] == []
    await sim.webhooks.drain()
    assert receiver.topics() == ["orders/paid"]
    listed = (await client.get("/_sim/deliveries")).json()["deliveries"]
    assert listed[-1]["delivered"] is True


async def test_seeded_traffic_is_replayed_through_the_control_api(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    _, client, receiver = wired
    answer = await client.post(
        f"/_sim/shops/{SHOP}/traffic",
        json={"seed": 4, "days": 0.5, "disorder": {"seed": 1, "duplicate_rate": 0.25}},
    )
    assert answer.status_code == 200
    report = answer.json()
    assert report["events"] > 5
    assert report["deliveries"] == report["events"]
    assert 0 < report["duplicated"] < report["events"]
    assert len(receiver.requests) == report["events"] + report["duplicated"]
    assert sum(report["topics"].values()) == report["events"]


async def test_traffic_can_lose_deliveries_that_the_shop_still_holds(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    sim, client, receiver = wired
    answer = await client.post(
        f"/_sim/shops/{SHOP}/traffic",
        json={"seed": 4, "days": 0.5, "disorder": {"seed": 2, "drop_rate": 0.5}},
    )
    assert answer.status_code == 200
    report = answer.json()
    assert 0 < report["dropped"] < report["events"]
    assert report["deliveries"] + report["dropped"] == report["events"]
    assert len(receiver.requests) == report["deliveries"]
    lost_orders = {body["id"] for _, topic, body in sim.dropped if topic.startswith("orders/")}
    assert lost_orders <= set(sim.shop(SHOP).orders)


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("webhooks/batch", {"webhooks": []}, "webhooks must be a non-empty list"),
        ("webhooks/batch", {"webhooks": [{"payload": {}}]}, "each webhook needs a topic"),
        (
            "webhooks/batch",
            {"webhooks": batch(1), "disorder": {"duplicate_rate": 2}},
            "duplicate_rate must be between 0 and 1",
        ),
        (
            "webhooks/batch",
            {"webhooks": batch(1), "disorder": {"shuffle": True}},
            "unknown disorder settings: shuffle",
        ),
        (
            "traffic",
            {"disorder": {"drop_rate": 1.5}},
            "drop_rate must be between 0 and 1",
        ),
        ("traffic", {"days": "many"}, "days must be a number"),
        ("traffic", {"weeks": 1}, "unknown traffic settings: weeks"),
    ],
)
async def test_control_refuses_what_it_cannot_do(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
    path: str,
    body: dict[str, object],
    reason: str,
) -> None:
    _, client, receiver = wired
    answer = await client.post(f"/_sim/shops/{SHOP}/{path}", json=body)
    assert answer.status_code == 400
    assert reason in answer.json()["error"]
    assert receiver.requests == []
