"""The simulator's standard review metafields, as Shopify has them: `reviews.rating` (type
rating: JSON value within its scale) and `reviews.rating_count` (number_integer) on products;
a value of the wrong type, a rating outside its scale or malformed is refused with nothing
written, and product metafields need write_products."""

from __future__ import annotations

import json
from typing import Any

import httpx

from devstore.server import Simulator
from tests.devstore.conftest import SHOP, gql
from tests.devstore.test_graphql import METAFIELDS


def rating(product: Any, value: str, *, kind: str = "rating") -> dict[str, str]:
    return {
        "ownerId": f"gid://shopify/Product/{product.id}",
        "namespace": "reviews",
        "key": "rating",
        "type": kind,
        "value": value,
    }


def count(product: Any, value: str, *, kind: str = "number_integer") -> dict[str, str]:
    return {**rating(product, value, kind=kind), "key": "rating_count"}


async def test_rating_and_count_are_stored_as_shopify_stores_them(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    product = sim.add_product(SHOP, "Kettle")
    value = json.dumps({"value": "4.5", "scale_min": "1.0", "scale_max": "5.0"})
    body = await gql(
        client, token, METAFIELDS, {"metafields": [rating(product, value), count(product, "12")]}
    )
    assert body["data"]["metafieldsSet"]["userErrors"] == []
    stored = {m.key: (m.type, m.value) for m in sim.metafields(SHOP)}
    assert stored == {"rating": ("rating", value), "rating_count": ("number_integer", "12")}


async def test_wrong_types_and_values_are_refused(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    product = sim.add_product(SHOP, "Kettle")
    cases = [
        (rating(product, "4.5", kind="number_decimal"), "INVALID_TYPE"),
        (count(product, "3", kind="single_line_text_field"), "INVALID_TYPE"),
        (rating(product, json.dumps({"value": "6", "scale_min": "1", "scale_max": "5"})), None),
        (rating(product, json.dumps({"value": "4"})), None),
        (rating(product, "four"), None),
        (count(product, "4.5"), None),
    ]
    for entry, code in cases:
        body = await gql(client, token, METAFIELDS, {"metafields": [entry]})
        (error,) = body["data"]["metafieldsSet"]["userErrors"]
        assert error["code"] == (code or "INVALID_VALUE"), entry
    assert sim.metafields(SHOP) == []


async def test_a_product_that_does_not_exist_is_refused(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    body = await gql(
        client,
        token,
        METAFIELDS,
        {"metafields": [count(type("P", (), {"id": 999_999})(), "1")]},
    )
    assert body["data"]["metafieldsSet"]["userErrors"][0]["message"] == "Owner does not exist."


async def test_product_metafields_need_write_products(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.config.scopes = sim.config.scopes - {"write_products"}
    token = sim.install(SHOP).access_token
    product = sim.add_product(SHOP, "Kettle")
    body = await gql(client, token, METAFIELDS, {"metafields": [count(product, "1")]})
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert sim.metafields(SHOP) == []


async def test_metafields_delete_removes_the_rating(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    product = sim.add_product(SHOP, "Kettle")
    value = json.dumps({"value": "3.0", "scale_min": "1.0", "scale_max": "5.0"})
    await gql(client, token, METAFIELDS, {"metafields": [rating(product, value)]})
    delete = """mutation($metafields: [MetafieldIdentifierInput!]!) {
      metafieldsDelete(metafields: $metafields) { deletedMetafields { ownerId namespace key }
      userErrors { field message } } }"""
    identifier = {"ownerId": f"gid://shopify/Product/{product.id}", "namespace": "reviews"}
    body = await gql(
        client,
        token,
        delete,
        {"metafields": [{**identifier, "key": "rating"}, {**identifier, "key": "missing"}]},
    )
    payload = body["data"]["metafieldsDelete"]
    assert payload["deletedMetafields"] == [{**identifier, "key": "rating"}, None]
    assert payload["userErrors"] == []
    assert sim.metafields(SHOP) == []
