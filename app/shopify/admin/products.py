"""Product variant images, and product cards for the welcome series' best-sellers, through the
Admin API (needs `read_products`).

Shopify's checkout webhooks carry no image for their line items, so the cart email asks for
them: `nodes(ids:)` with the variants' gids, each answering its own `image` (ProductVariant.image)
and its product's `featuredImage` as the fallback (shopify.dev, admin-graphql 2026-10: both
are `Image` objects with a `url`). `nodes` takes at most 250 ids; its requested cost is one
object per id plus what each selects (4 points per variant here)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ProductCard, ShopRef

MAX_NODES = 250
# ProductVariant (1) + its image (1) + its product (1) + the product's featuredImage (1).
COST_PER_VARIANT = 4

VARIANT_IMAGES = Operation(
    "VariantImages",
    """query VariantImages($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      image { url }
      product { featuredImage { url } }
    }
  }
}""",
    COST_PER_VARIANT,
)


# Product (1) + featuredImage (1) + priceRangeV2 (1) + its min and max MoneyV2 (2).
COST_PER_PRODUCT = 5
CONNECTION_COST = 2

_CARD_FIELDS = """
      id
      title
      handle
      status
      onlineStoreUrl
      featuredImage { url }
      priceRangeV2 {
        minVariantPrice { amount currencyCode }
        maxVariantPrice { amount currencyCode }
      }"""

# The Admin API cannot sort `products` by sales: ProductSortKeys has no BEST_SELLING (only
# Collection.products and the Storefront API have it; shopify.dev, admin-graphql 2026-10,
# enums/ProductSortKeys). So the ranking comes from the orders Boomerang stored
# (app/scenarios/welcome/queries.best_selling_product_ids), and the Admin API gives each
# ranked product's card, by id.
PRODUCT_CARDS = Operation(
    "ProductCards",
    "query ProductCards($ids: [ID!]!) {\n  nodes(ids: $ids) {\n    ... on Product {"
    + _CARD_FIELDS
    + "\n    }\n  }\n}",
    COST_PER_PRODUCT,
)

# For a shop with too few sales to rank: its newest products on the Online Store.
NEWEST_PRODUCTS = Operation(
    "NewestProducts",
    "query NewestProducts($first: Int!) {\n"
    '  products(first: $first, sortKey: CREATED_AT, reverse: true, query: "status:active") {\n'
    "    nodes {" + _CARD_FIELDS + "\n    }\n  }\n}",
    CONNECTION_COST + COST_PER_PRODUCT,
)


def product_gid(product_id: int) -> str:
    return f"gid://shopify/Product/{product_id}"


def _number(gid: Any, kind: str) -> int | None:
    prefix = f"gid://shopify/{kind}/"
    if isinstance(gid, str) and gid.startswith(prefix) and gid[len(prefix) :].isdigit():
        return int(gid[len(prefix) :])
    return None


def _amount(money: Any) -> tuple[Decimal, str] | None:
    if not isinstance(money, dict):
        return None
    try:
        return Decimal(str(money.get("amount"))), str(money.get("currencyCode") or "")
    except InvalidOperation:
        return None


def _card(node: Any, shop_url: str) -> ProductCard | None:
    """A product Shopify sells on the Online Store as a card; None for anything else (a
    draft or archived product, a node of another type, a malformed answer)."""
    if not isinstance(node, dict) or node.get("status") != "ACTIVE":
        return None
    number = _number(node.get("id"), "Product")
    title = node.get("title")
    prices = node.get("priceRangeV2")
    low = _amount(prices.get("minVariantPrice")) if isinstance(prices, dict) else None
    high = _amount(prices.get("maxVariantPrice")) if isinstance(prices, dict) else None
    if number is None or not isinstance(title, str) or low is None:
        return None
    url = node.get("onlineStoreUrl")
    if not isinstance(url, str) or not url:
        handle = node.get("handle")
        if not isinstance(handle, str) or not handle:
            return None
        url = f"{shop_url.rstrip('/')}/products/{handle}"
    return ProductCard(
        product_id=number,
        title=title,
        url=url,
        image_url=_url(node.get("featuredImage")),
        price=low[0],
        price_varies=high is not None and high[0] != low[0],
        currency=low[1],
    )


def variant_gid(variant_id: int) -> str:
    return f"gid://shopify/ProductVariant/{variant_id}"


def _variant_id(gid: Any) -> int | None:
    return _number(gid, "ProductVariant")


def _url(image: Any) -> str | None:
    if isinstance(image, dict) and isinstance(image.get("url"), str) and image["url"]:
        return str(image["url"])
    return None


class ShopifyProducts:
    def __init__(self, client: AdminClient) -> None:
        self._client = client

    async def variant_images(
        self, shop: ShopRef, variant_ids: Sequence[int]
    ) -> dict[int, str | None]:
        """The image URL of each variant asked for (its own image, else its product's
        featured image), None for a variant without any or unknown to Shopify."""
        found: dict[int, str | None] = dict.fromkeys(variant_ids)
        ids = list(found)
        for start in range(0, len(ids), MAX_NODES):
            chunk = ids[start : start + MAX_NODES]
            data = await self._client.execute(
                shop,
                VARIANT_IMAGES,
                {"ids": [variant_gid(v) for v in chunk]},
                cost=COST_PER_VARIANT * len(chunk),
            )
            for node in data.get("nodes") or []:
                if not isinstance(node, dict):
                    continue
                number = _variant_id(node.get("id"))
                if number is None or number not in found:
                    continue
                product = node.get("product")
                found[number] = _url(node.get("image")) or _url(
                    product.get("featuredImage") if isinstance(product, dict) else None
                )
        return found

    async def product_cards(
        self, shop: ShopRef, product_ids: Sequence[int], *, shop_url: str
    ) -> list[ProductCard]:
        """The cards of the products asked for, in the order asked, leaving out those not
        on sale (unknown, draft or archived). `shop_url` builds a page address from the handle
        when Shopify gives no onlineStoreUrl."""
        ids = list(dict.fromkeys(product_ids))
        cards: dict[int, ProductCard] = {}
        for start in range(0, len(ids), MAX_NODES):
            chunk = ids[start : start + MAX_NODES]
            data = await self._client.execute(
                shop,
                PRODUCT_CARDS,
                {"ids": [product_gid(p) for p in chunk]},
                cost=COST_PER_PRODUCT * len(chunk),
            )
            for node in data.get("nodes") or []:
                if (card := _card(node, shop_url)) is not None:
                    cards[card.product_id] = card
        return [cards[p] for p in ids if p in cards]

    async def newest_products(
        self, shop: ShopRef, count: int, *, shop_url: str
    ) -> list[ProductCard]:
        """Up to `count` of the shop's newest active products."""
        first = max(1, min(count, MAX_NODES))
        data = await self._client.execute(
            shop,
            NEWEST_PRODUCTS,
            {"first": first},
            cost=CONNECTION_COST + COST_PER_PRODUCT * first,
        )
        connection = data.get("products")
        nodes = connection.get("nodes") if isinstance(connection, dict) else None
        return [c for node in nodes or [] if (c := _card(node, shop_url)) is not None]

    async def best_sellers(
        self, shop: ShopRef, ranked_product_ids: Sequence[int], count: int, *, shop_url: str
    ) -> list[ProductCard]:
        """`count` products for the best-sellers email: the ranked ones still on sale, in
        rank order, topped up with the newest products when sales are too few to rank."""
        cards = (await self.product_cards(shop, ranked_product_ids, shop_url=shop_url))[:count]
        if len(cards) < count:
            seen = {c.product_id for c in cards}
            newest = await self.newest_products(shop, count, shop_url=shop_url)
            cards += [c for c in newest if c.product_id not in seen][: count - len(cards)]
        return cards
