"""The /_sim control API that the demo and benchmarks drive from other processes."""

from __future__ import annotations

import httpx

from tests.devstore.conftest import SHOP, gql


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
      usageLimit: 3 }) { codeDiscountNode { id } userErrors { code } } }"""
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
    from devstore import SimulatorConfig
    from devstore.server import Simulator

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
