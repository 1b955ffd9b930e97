"""Reviews at Shopify's standard `product_review` metaobject through the throttle-aware Admin
API client: the definition enabled from its template once (standardMetaobjectDefinitionEnable,
refused to apps Shopify has not approved), a review upserted by its handle (metaobjectUpsert)
and removed by handle (metaobjectByHandle, then metaobjectDelete)."""

from __future__ import annotations

from typing import Any

import structlog

from app.reviews import syndication
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

ENABLE = Operation(
    name="EnableProductReviews",
    document=(
        "mutation EnableProductReviews($type: String!) {"
        " standardMetaobjectDefinitionEnable(type: $type) {"
        " metaobjectDefinition { type } userErrors { field code message } } }"
    ),
    cost=10,
)
UPSERT = Operation(
    name="UpsertProductReview",
    document=(
        "mutation UpsertProductReview($handle: MetaobjectHandleInput!,"
        " $metaobject: MetaobjectUpsertInput!) {"
        " metaobjectUpsert(handle: $handle, metaobject: $metaobject) {"
        " metaobject { id handle } userErrors { field code message elementKey } } }"
    ),
    cost=10,
)
BY_HANDLE = Operation(
    name="ProductReviewByHandle",
    document=(
        "query ProductReviewByHandle($handle: MetaobjectHandleInput!) {"
        " metaobjectByHandle(handle: $handle) { id } }"
    ),
    cost=1,
)
DELETE = Operation(
    name="DeleteProductReview",
    document=(
        "mutation DeleteProductReview($id: ID!) {"
        " metaobjectDelete(id: $id) { deletedId userErrors { field code message } } }"
    ),
    cost=10,
)


async def enable_definition(client: AdminClient, shop: ShopRef) -> list[str]:
    """Shopify's refusals (empty when the definition is enabled; enabling again is harmless)."""
    data = await client.execute(shop, ENABLE, {"type": syndication.TYPE})
    errors: list[dict[str, Any]] = data["standardMetaobjectDefinitionEnable"]["userErrors"]
    return [str(e["message"]) for e in errors]


async def upsert_review(client: AdminClient, shop: ShopRef, variables: dict[str, Any]) -> list[str]:
    data = await client.execute(shop, UPSERT, variables)
    errors: list[dict[str, Any]] = data["metaobjectUpsert"]["userErrors"]
    if errors:
        log.warning(
            "product review refused", shop=shop.domain, errors=[e["message"] for e in errors][:3]
        )
    return [str(e["message"]) for e in errors]


async def remove_review(client: AdminClient, shop: ShopRef, review_id: int) -> bool:
    """Whether a metaobject was there and is now gone."""
    handle = {"type": syndication.TYPE, "handle": syndication.handle(review_id)}
    found = (await client.execute(shop, BY_HANDLE, {"handle": handle}))["metaobjectByHandle"]
    if not found:
        return False
    data = await client.execute(shop, DELETE, {"id": found["id"]})
    return bool(data["metaobjectDelete"]["deletedId"])
