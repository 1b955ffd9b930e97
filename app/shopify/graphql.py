"""A small Admin GraphQL client: one POST per call through the shared httpx client, typed errors.
Throttle-aware retries belong to the caller (another issue grows this module)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from app.errors import (
    ShopifyGraphQLError,
    ShopifyThrottled,
    ShopifyTokenInvalid,
    ShopifyTokenRejected,
    ShopifyUnavailable,
)
from app.platform.resources import Resources
from app.settings import Settings
from app.shopify.tokens import (
    access_token_after_rejection,
    access_token_for,
    mark_token_invalid,
)


def graphql_url(settings: Settings, shop: str) -> str:
    return f"{settings.admin_url(shop)}/admin/api/{settings.shopify_api_version}/graphql.json"


async def execute(
    http: httpx.AsyncClient,
    settings: Settings,
    shop: str,
    access_token: str,
    document: str,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one GraphQL document with this token; return `data`, or raise a typed error."""
    try:
        response = await http.post(
            graphql_url(settings, shop),
            json={"query": document, "variables": dict(variables or {})},
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise ShopifyUnavailable(
            f"The Admin API of {shop} could not be reached ({type(exc).__name__}); retry later."
        ) from None
    if response.status_code == 401:
        raise ShopifyTokenRejected(f"The Admin API of {shop} refused the access token.")
    if response.status_code == 429:
        raise ShopifyThrottled(f"The Admin API of {shop} is throttling requests; retry later.")
    if response.status_code >= 500:
        raise ShopifyUnavailable(
            f"The Admin API of {shop} answered {response.status_code}; retry later."
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ShopifyGraphQLError(
            f"The Admin API of {shop} answered {response.status_code} without a JSON object."
        )
    errors = body.get("errors")
    if errors:
        if isinstance(errors, list) and any(
            isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
            for e in errors
        ):
            raise ShopifyThrottled(f"The Admin API of {shop} is throttling requests; retry later.")
        raise ShopifyGraphQLError(f"The Admin API of {shop} answered errors: {errors}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise ShopifyGraphQLError(f"The Admin API of {shop} answered without data.")
    return data


async def admin_query(
    resources: Resources,
    shop_id: int,
    shop: str,
    document: str,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run a document for an installed shop: token from access_token_for, one retry after a 401
    with a refreshed token (ShopifyTokenInvalid when nothing helps)."""
    token = await access_token_for(resources, shop_id)
    try:
        return await execute(resources.http, resources.settings, shop, token, document, variables)
    except ShopifyTokenRejected:
        fresh = await access_token_after_rejection(resources, shop_id, token)
    try:
        return await execute(resources.http, resources.settings, shop, fresh, document, variables)
    except ShopifyTokenRejected:
        # A token Shopify just issued is refused too: nothing we can do without the merchant.
        await mark_token_invalid(resources, shop_id)
        raise ShopifyTokenInvalid(
            f"Shopify refuses every token of {shop}: the merchant must open Boomerang again."
        ) from None
