"""Customer segments, as Shopify's Admin API and checkout treat them: segmentCreate with a
ShopifyQL query (the simulator evaluates `number_of_orders`, and refuses what it cannot), a
code discount restricted to segments (`context.customerSegments`), and the checkout applying it
only to a customer of the segment as they are at checkout."""

from __future__ import annotations

import httpx
import pytest

from devstore.server import Simulator
from devstore.storefront import CheckoutError
from tests.devstore.conftest import SHOP, gql
from tests.devstore.test_graphql import CREATE, discount_input

SEGMENT_CREATE = """
mutation Seg($name: String!, $query: String!) {
  segmentCreate(name: $name, query: $query) {
    segment { id name query }
    userErrors { field message }
  }
}
"""


async def _segment(client: httpx.AsyncClient, token: str, name: str, query: str) -> str:
    body = await gql(client, token, SEGMENT_CREATE, {"name": name, "query": query})
    payload = body["data"]["segmentCreate"]
    assert payload["userErrors"] == []
    segment_id: str = payload["segment"]["id"]
    return segment_id


async def test_a_segment_query_the_simulator_cannot_evaluate_is_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    body = await gql(client, token, SEGMENT_CREATE, {"name": "VIP", "query": "amount_spent > 100"})
    payload = body["data"]["segmentCreate"]
    assert payload["segment"] is None
    assert payload["userErrors"][0]["field"] == ["query"]
    await _segment(client, token, "New", "number_of_orders = 0")
    taken = await gql(
        client, token, SEGMENT_CREATE, {"name": "New", "query": "number_of_orders = 0"}
    )
    assert taken["data"]["segmentCreate"]["userErrors"] == [
        {"field": ["name"], "message": "Name has already been taken"}
    ]


async def test_a_first_time_buyers_code_applies_to_new_customers_only(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    segment = await _segment(client, token, "First-time buyers", "number_of_orders = 0")
    created = await gql(
        client,
        token,
        CREATE,
        {
            "input": discount_input(
                "FRIEND10",
                context={"customerSegments": {"add": [segment]}},
                appliesOncePerCustomer=True,
            )
        },
    )
    assert created["data"]["discountCodeBasicCreate"]["userErrors"] == []
    (discount,) = sim.discounts(SHOP)
    assert discount.usage_limit is None
    newcomer = sim.add_customer(SHOP, "new@example.com")
    regular = sim.add_customer(SHOP, "regular@example.com")
    sim.place_order(SHOP, email=regular.email, customer=regular)

    placed = sim.place_order(
        SHOP, email=newcomer.email, customer=newcomer, discount_code="friend10"
    )
    assert placed.order["discount_codes"][0]["code"] == "FRIEND10"
    for buyer in (regular, newcomer):  # the newcomer has ordered now
        with pytest.raises(CheckoutError) as refused:
            sim.place_order(SHOP, email=buyer.email, customer=buyer, discount_code="FRIEND10")
        assert refused.value.reason == "customer_not_eligible"


async def test_an_unknown_segment_is_a_user_error(client: httpx.AsyncClient, token: str) -> None:
    created = await gql(
        client,
        token,
        CREATE,
        {
            "input": discount_input(
                "NOSEG", context={"customerSegments": {"add": ["gid://shopify/Segment/999"]}}
            )
        },
    )
    errors = created["data"]["discountCodeBasicCreate"]["userErrors"]
    assert errors[0]["message"] == "Segment does not exist."
