"""A metafield of the shop itself (owner: the Shop), written through the throttle-aware Admin
API client: the storefront program's description (`$app:loyalty.program`, type json) that the
theme app extension reads as `shop.metafields['$app:loyalty'].program`. The Shop's GID is
asked of Shopify (`shop { id }`, shopify.dev: api/admin-graphql/latest/queries/shop) rather
than stored: the write happens once per settings change."""

from __future__ import annotations

import json
from typing import Any

import structlog

from app.loyalty.status_document import LOYALTY_NAMESPACE
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import METAFIELDS_SET

log = structlog.get_logger(__name__)

SHOP_ID = Operation(name="ShopId", document="query ShopId { shop { id } }", cost=1)


async def write_shop_json(
    client: AdminClient, shop: ShopRef, key: str, document: dict[str, Any]
) -> bool:
    """Set the shop's `$app:loyalty.<key>` to `document`; False when Shopify refused it."""
    owner = (await client.execute(shop, SHOP_ID))["shop"]["id"]
    data = await client.execute(
        shop,
        METAFIELDS_SET,
        {
            "metafields": [
                {
                    "ownerId": owner,
                    "namespace": LOYALTY_NAMESPACE,
                    "key": key,
                    "type": "json",
                    "value": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
                }
            ]
        },
    )
    errors: list[dict[str, Any]] = data["metafieldsSet"]["userErrors"]
    if errors:
        messages = [e["message"] for e in errors][:3]
        log.warning("shop metafield refused", shop=shop.domain, key=key, errors=messages)
        return False
    return True
