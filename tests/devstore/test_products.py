"""Products and their images: the Simulator API and control route that stock them, and the
Admin API's `nodes`/`productVariant` with Shopify's cost and scope rules."""

from __future__ import annotations

from decimal import Decimal

import httpx

from devstore.payloads import CATALOG
from devstore.products import VariantSpec
from devstore.server import Simulator
from devstore.traffic import TrafficGenerator, TrafficSettings
from tests.devstore.conftest import SHOP, gql

VARIANT_IMAGES = """
query VariantImages($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant { id image { url } product { featuredImage { url } } }
  }
}
"""


async def test_nodes_answers_each_variants_image_and_its_products(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    product = sim.add_product(
        SHOP,
        "Wool Coat",
        image_url="https://cdn.example.test/coat.jpg",
        variants=[
            VariantSpec(
                "Navy / M", Decimal("210.00"), image_url="https://cdn.example.test/navy.jpg"
            ),
            VariantSpec("Grey / M", Decimal("210.00")),
        ],
    )
    navy, grey = product.variants.values()
    ids = [navy.gid, grey.gid, "gid://shopify/ProductVariant/1", "gid://shopify/Customer/2"]
    body = await gql(client, token, VARIANT_IMAGES, {"ids": ids})
    assert "errors" not in body, body
    first, second, unknown, not_a_variant = body["data"]["nodes"]
    assert first == {
        "id": navy.gid,
        "image": {"url": "https://cdn.example.test/navy.jpg"},
        "product": {"featuredImage": {"url": "https://cdn.example.test/coat.jpg"}},
    }
    assert second["image"] is None
    assert second["product"]["featuredImage"]["url"] == "https://cdn.example.test/coat.jpg"
    assert unknown is None
    assert not_a_variant is None
    # Asked for: 4 ids × (node 1 + image 1 + product 1 + featuredImage 1); charged: what came
    # back (the first variant's image and product and featured image, the second's product
    # and featured image).
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 16
    assert cost["actualQueryCost"] == 4 + 3


async def test_product_variant_and_node_serve_the_same_variant(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    product = sim.add_product(SHOP, "Tea Towel", price=Decimal("9.50"))
    (variant,) = product.variants.values()
    body = await gql(
        client,
        token,
        "query($id: ID!) { productVariant(id: $id) { title displayName price product { title } } "
        "node(id: $id) { id } }",
        {"id": variant.gid},
    )
    assert body["data"]["productVariant"] == {
        "title": "Default Title",
        "displayName": "Tea Towel - Default Title",
        "price": "9.50",
        "product": {"title": "Tea Towel"},
    }
    assert body["data"]["node"] == {"id": variant.gid}


async def test_every_shop_stocks_the_traffic_catalog_with_images(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    shop = sim.shop(SHOP)
    TrafficGenerator(sim.storefront, shop, TrafficSettings(seed=3, days=0.1))
    ids = [f"gid://shopify/ProductVariant/{item.variant_id}" for item in CATALOG]
    body = await gql(client, token, VARIANT_IMAGES, {"ids": ids})
    for item, node in zip(CATALOG, body["data"]["nodes"], strict=True):
        assert node is not None, item
        url = (node["image"] or node["product"]["featuredImage"])["url"]
        assert url.startswith("https://cdn.shopify.com/"), url


async def test_products_need_the_read_products_scope(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    for access in sim.store.access_tokens.values():
        access.revoked = True
    sim.config.scopes = frozenset({"read_customers"})
    limited = sim.install(SHOP).access_token
    body = await gql(
        client,
        limited,
        VARIANT_IMAGES,
        {"ids": [f"gid://shopify/ProductVariant/{CATALOG[0].variant_id}"]},
    )
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


async def test_products_through_the_control_api(client: httpx.AsyncClient, sim: Simulator) -> None:
    created = await client.post(
        f"/_sim/shops/{SHOP}/products",
        json={
            "title": "Straw Hat",
            "image_url": "https://cdn.example.test/hat.jpg",
            "variants": [{"title": "L", "price": "35.00", "sku": "HAT-L"}],
        },
    )
    assert created.status_code == 201, created.text
    listed = (await client.get(f"/_sim/shops/{SHOP}/products")).json()["products"]
    hat = next(p for p in listed if p["title"] == "Straw Hat")
    assert hat["image_url"] == "https://cdn.example.test/hat.jpg"
    assert [(v["title"], v["price"], v["sku"]) for v in hat["variants"]] == [
        ("L", "35.00", "HAT-L")
    ]
    refused = await client.post(f"/_sim/shops/{SHOP}/products", json={"variants": []})
    assert refused.status_code == 400


PRODUCTS = """
query($sortKey: ProductSortKeys, $reverse: Boolean, $query: String) {
  products(first: 10, sortKey: $sortKey, reverse: $reverse, query: $query) {
    nodes {
      title status onlineStoreUrl
      priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount } }
    }
  }
}
"""


async def test_products_sort_filter_and_price_range(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    for product in list(sim.products(SHOP)):
        sim.shop(SHOP).products.pop(product.id)
    sim.add_product(
        SHOP,
        "Apron",
        variants=[VariantSpec("S", Decimal("18.00")), VariantSpec("L", Decimal("22.00"))],
    )
    draft = sim.add_product(SHOP, "Bread Knife", price=Decimal("35.00"))
    draft.status = "DRAFT"
    sim.add_product(SHOP, "Colander", price=Decimal("12.00"))

    body = await gql(client, token, PRODUCTS, {"sortKey": "TITLE", "reverse": True})
    assert "errors" not in body, body
    nodes = body["data"]["products"]["nodes"]
    assert [n["title"] for n in nodes] == ["Colander", "Bread Knife", "Apron"]
    apron = nodes[2]
    host = sim.shop(SHOP).primary_domain_host
    assert apron["onlineStoreUrl"] == f"https://{host}/products/apron"
    assert apron["priceRangeV2"] == {
        "minVariantPrice": {"amount": "18.00", "currencyCode": sim.shop(SHOP).currency},
        "maxVariantPrice": {"amount": "22.00"},
    }
    # A draft is not on the Online Store: no page.
    assert nodes[1]["onlineStoreUrl"] is None

    active = await gql(client, token, PRODUCTS, {"sortKey": "TITLE", "query": "status:active"})
    assert [n["title"] for n in active["data"]["products"]["nodes"]] == ["Apron", "Colander"]


async def test_products_cannot_be_sorted_by_sales_as_at_shopify(
    client: httpx.AsyncClient, token: str
) -> None:
    """The Admin API's ProductSortKeys has no BEST_SELLING (only a collection's products
    and the Storefront API do): the request is refused as invalid."""
    body = await gql(client, token, PRODUCTS, {"sortKey": "BEST_SELLING"})
    assert "data" not in body or body["data"] is None
    assert "BEST_SELLING" in body["errors"][0]["message"]
