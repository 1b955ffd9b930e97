"""Reading a shop back as an app reconciling missed webhooks does: orders and abandoned
checkouts filtered on updated_at, and bulk query operations whose JSONL the simulator serves."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from devstore.clock import ManualClock
from devstore.payloads import CATALOG
from devstore.server import Simulator
from tests.devstore.conftest import SHOP, gql

ORDERS = """
query Orders($query: String) {
  orders(first: 10, query: $query, sortKey: UPDATED_AT) {
    nodes { legacyResourceId checkoutToken updatedAt displayFinancialStatus
            lineItems(first: 5) { nodes { title quantity } } }
    pageInfo { hasNextPage }
  }
}
"""


async def test_orders_updated_since_a_moment_are_listed_oldest_first(
    client: httpx.AsyncClient, sim: Simulator, token: str, clock: ManualClock
) -> None:
    early = sim.place_order(SHOP, email="a@example.test", checkout_token="tok-a")
    clock.advance(60)
    later = sim.place_order(SHOP, email="b@example.test", checkout_token="tok-b")
    since = (clock.now() - timedelta(seconds=30)).isoformat().replace("+00:00", "Z")

    body = await gql(client, token, ORDERS, {"query": f"updated_at:>='{since}'"})

    assert "errors" not in body, body
    nodes = body["data"]["orders"]["nodes"]
    assert [n["legacyResourceId"] for n in nodes] == [str(later.order["id"])]
    assert nodes[0]["checkoutToken"] == "tok-b"
    assert nodes[0]["lineItems"]["nodes"][0]["title"] == CATALOG[0].title
    everything = await gql(client, token, ORDERS)
    listed = [n["legacyResourceId"] for n in everything["data"]["orders"]["nodes"]]
    assert listed == [str(early.order["id"]), str(later.order["id"])]


async def test_a_lost_checkout_delivery_is_still_in_abandoned_checkouts(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    customer = sim.add_customer(SHOP, "c@example.test")
    payload = sim.payloads(SHOP).checkout(
        token="tok-c",
        cart_token="cart-c",
        email=customer.email,
        customer=customer,
        line_items=[CATALOG[0]],
        created_at=sim.clock.now(),
        updated_at=sim.clock.now(),
    )
    assert await sim.emit(SHOP, "checkouts/create", payload, drop=True) == []

    body = await gql(
        client,
        token,
        "{ abandonedCheckouts(first: 5) { nodes { id abandonedCheckoutUrl completedAt "
        "customer { legacyResourceId email } } } }",
    )

    (node,) = body["data"]["abandonedCheckouts"]["nodes"]
    assert node["id"] == f"gid://shopify/AbandonedCheckout/{payload['id']}"
    assert "/checkouts/tok-c/recover" in node["abandonedCheckoutUrl"]
    assert node["completedAt"] is None
    assert node["customer"] == {"legacyResourceId": str(customer.id), "email": customer.email}
    assert sim.dropped == [(SHOP, "checkouts/create", payload)]


async def test_a_bulk_query_answers_a_jsonl_file_with_children_after_their_parent(
    client: httpx.AsyncClient, sim: Simulator, token: str, clock: ManualClock
) -> None:
    placed = sim.place_order(SHOP, email="d@example.test", line_items=list(CATALOG[:2]))
    run = await gql(
        client,
        token,
        "mutation Run($q: String!) { bulkOperationRunQuery(query: $q) "
        "{ bulkOperation { id status } userErrors { field code message } } }",
        {"q": "{ orders { edges { node { id lineItems { edges { node { id title } } } } } } }"},
    )
    created = run["data"]["bulkOperationRunQuery"]
    assert created["userErrors"] == []
    assert created["bulkOperation"]["status"] == "CREATED"
    poll = (
        "query Poll($id: ID!) { node(id: $id) { ... on BulkOperation { status objectCount url } } }"
    )
    operation_id = created["bulkOperation"]["id"]
    running = await gql(client, token, poll, {"id": operation_id})
    assert running["data"]["node"]["status"] == "CREATED"

    clock.advance(1)
    done = (await gql(client, token, poll, {"id": operation_id}))["data"]["node"]

    assert done["status"] == "COMPLETED"
    assert done["objectCount"] == "3"
    result = await client.get(done["url"])
    assert result.status_code == 200
    lines = [json.loads(line) for line in result.text.splitlines()]
    order_gid = f"gid://shopify/Order/{placed.order['id']}"
    assert lines[0] == {"id": order_gid}
    assert [line["title"] for line in lines[1:]] == [p.title for p in CATALOG[:2]]
    assert {line["__parentId"] for line in lines[1:]} == {order_gid}


async def test_an_invalid_bulk_query_is_a_user_error(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    run = await gql(
        client,
        token,
        "mutation Run($q: String!) { bulkOperationRunQuery(query: $q) "
        "{ bulkOperation { id } userErrors { field code message } } }",
        {"q": "{ orders { edges { node { nope } } } }"},
    )
    payload = run["data"]["bulkOperationRunQuery"]
    assert payload["bulkOperation"] is None
    assert payload["userErrors"][0]["field"] == ["query"]
    assert payload["userErrors"][0]["code"] == "INVALID"
