"""A product's review aggregate written to Shopify's standard product metafields
(`reviews.rating`, `reviews.rating_count`) through the throttle-aware Admin API client: set
while the product has published reviews, the rating deleted (and the count set to 0) once it
has none, so a theme shows no stars rather than stale ones."""

from __future__ import annotations

from typing import Any

import structlog

from app.reviews.aggregates import NAMESPACE, ProductRating, metafield_inputs, product_gid
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import METAFIELDS_SET

log = structlog.get_logger(__name__)

METAFIELDS_DELETE = Operation(
    name="MetafieldsDelete",
    document=(
        "mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {"
        " metafieldsDelete(metafields: $metafields) {"
        " deletedMetafields { key } userErrors { field message } } }"
    ),
    cost=10,
)


async def write_product_rating(
    client: AdminClient, shop: ShopRef, rating: ProductRating
) -> dict[str, str]:
    """What now stands at Shopify for the product (key -> value); {} when Shopify refused."""
    inputs = metafield_inputs(rating)
    data = await client.execute(shop, METAFIELDS_SET, {"metafields": inputs})
    errors: list[dict[str, Any]] = data["metafieldsSet"]["userErrors"]
    if errors:
        log.warning(
            "product rating refused", shop=shop.domain, errors=[e["message"] for e in errors][:3]
        )
        return {}
    if rating.average is None:
        identifier = {"ownerId": product_gid(rating.product_id), "namespace": NAMESPACE}
        await client.execute(
            shop, METAFIELDS_DELETE, {"metafields": [{**identifier, "key": "rating"}]}
        )
    return {i["key"]: i["value"] for i in inputs}
