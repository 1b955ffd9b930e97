"""Product variant images through the Admin API (needs `read_products`).

Shopify's checkout webhooks carry no image for their line items, so the cart email asks for
them: `nodes(ids:)` with the variants' gids, each answering its own `image` (ProductVariant.image)
and its product's `featuredImage` as the fallback (shopify.dev, admin-graphql 2026-10: both
are `Image` objects with a `url`). `nodes` takes at most 250 ids; its requested cost is one
object per id plus what each selects (4 points per variant here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

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


def variant_gid(variant_id: int) -> str:
    return f"gid://shopify/ProductVariant/{variant_id}"


def _variant_id(gid: Any) -> int | None:
    prefix = "gid://shopify/ProductVariant/"
    if isinstance(gid, str) and gid.startswith(prefix) and gid[len(prefix) :].isdigit():
        return int(gid[len(prefix) :])
    return None


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
