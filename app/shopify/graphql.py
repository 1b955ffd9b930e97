"""Ad-hoc Admin GraphQL documents for an installed shop (install-time shop facts, webhook
subscriptions), run through the one throttle-aware client of app.shopify.admin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.platform.resources import Resources
from app.shopify.admin.client import Operation
from app.shopify.admin.factory import admin_client
from app.shopify.admin.types import ShopRef


async def admin_query(
    resources: Resources,
    shop_id: int,
    shop: str,
    document: str,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a document for an installed shop and return its `data`: the shop's stored token,
    refreshed and retried once after a 401 (ShopTokenInvalid when nothing helps), the shop's
    rate limit respected, transient failures retried."""
    return await admin_client(resources).execute(
        ShopRef(shop_id, shop), Operation.ad_hoc(document), dict(variables or {})
    )
