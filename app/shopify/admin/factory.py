"""Builds the Admin API client from the process's resources (composition, no I/O)."""

from __future__ import annotations

from app.errors import ServiceUnavailable
from app.i18n import Text
from app.platform.resources import Resources
from app.shopify.admin.changes import ShopifyChanges
from app.shopify.admin.client import AdminClient
from app.shopify.admin.discounts import ShopifyDiscounts
from app.shopify.admin.store_credit import ShopifyStoreCredit
from app.shopify.throttle import ShopThrottle


def admin_client(resources: Resources) -> AdminClient:
    tokens = resources.shopify_tokens
    if tokens is None:
        raise ServiceUnavailable(
            Text(
                en="Boomerang cannot call Shopify: no token provider is configured (set "
                "Resources.shopify_tokens at start-up).",
                fr="Boomerang ne peut pas appeler Shopify : aucun fournisseur de jetons n'est "
                "configuré (renseignez Resources.shopify_tokens au démarrage).",
            )
        )
    return AdminClient(
        resources.http,
        admin_url=resources.settings.admin_url,
        api_version=resources.settings.shopify_api_version,
        tokens=tokens.provider,
        on_unauthorized=tokens.on_unauthorized,
        throttle=ShopThrottle(resources.redis),
    )


def discount_gateway(resources: Resources) -> ShopifyDiscounts:
    return ShopifyDiscounts(admin_client(resources))


def store_credit_gateway(resources: Resources) -> ShopifyStoreCredit:
    return ShopifyStoreCredit(admin_client(resources))


def change_feed(resources: Resources) -> ShopifyChanges:
    """What changed at Shopify, for the reconciler (its bulk result files come through the
    process's HTTP client, without the shop's token)."""
    return ShopifyChanges(admin_client(resources), resources.http)
