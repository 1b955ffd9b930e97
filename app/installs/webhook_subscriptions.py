"""Webhook subscriptions registered through the Admin API, as a fallback for installs that do
not come from `shopify app deploy` (which applies shopify.app.toml). Idempotent: list first.
Compliance topics can only be declared in the toml, so they are not here.

Shopify may refuse a topic (userErrors): without protected-customer-data approval it refuses
every order, checkout and customer topic. Each refusal is logged with its topic, the other
topics are still created, and WebhookSubscriptionsRefused says which were refused."""

from __future__ import annotations

from typing import Any

import structlog

from app.errors import ShopifyUserErrors
from app.i18n import Text
from app.platform.resources import Resources
from app.shopify.graphql import admin_query

log = structlog.get_logger(__name__)

# Kept equal to [[webhooks.subscriptions]] topics in shopify.app.toml (a test checks it).
APP_WEBHOOK_TOPICS: tuple[str, ...] = (
    "checkouts/create",
    "checkouts/update",
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
    "orders/edited",
    # A shipment's delivered status, for the review request's after-delivery timing; both
    # need read_fulfillments (WebhookSubscriptionTopic, shopify.dev).
    "fulfillments/update",
    "fulfillment_events/create",
    "refunds/create",
    "customers/create",
    "customers/update",
    "customers_email_marketing_consent/update",
    "app/uninstalled",
    "shop/update",
)

LIST_SUBSCRIPTIONS = """
query BoomerangWebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}
"""

CREATE_SUBSCRIPTION = """
mutation BoomerangWebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id }
    userErrors { field message }
  }
}
"""


def graphql_topic(topic: str) -> str:
    """`orders/create` -> `ORDERS_CREATE` (the WebhookSubscriptionTopic enum)."""
    return topic.upper().replace("/", "_")


def webhook_uri(resources: Resources) -> str:
    return resources.settings.app_url.rstrip("/") + "/webhooks"


class WebhookSubscriptionsRefused(ShopifyUserErrors):
    """Shopify refused to subscribe some topics; `errors` holds (topic, None, Shopify's
    message) and `created` the topics subscribed meanwhile."""

    def __init__(self, shop: str, refused: list[tuple[str, str]], created: list[str]) -> None:
        topics = ", ".join(topic for topic, _ in refused)
        super().__init__(
            Text(
                en=f"Shopify refused the webhook subscriptions of {shop} for {topics}: Boomerang "
                "will not hear of those events. Shopify says: "
                + "; ".join(message for _, message in refused),
                fr=f"Shopify a refusé les abonnements webhook de {shop} pour {topics} : "
                "Boomerang ne sera pas informé de ces événements. Réponse de Shopify : "
                + "; ".join(message for _, message in refused),
            ),
            [(topic, None, message) for topic, message in refused],
        )
        self.created = created


def _already_subscribed(errors: list[dict[str, Any]]) -> bool:
    """Another install created it between our listing and our create (the refusal Shopify
    gives for a topic and address already subscribed)."""
    return all("already been taken" in str(e.get("message", "")) for e in errors)


async def ensure_webhook_subscriptions(resources: Resources, shop_id: int, shop: str) -> list[str]:
    """Create the subscriptions this shop lacks; return the topics created. Raises
    WebhookSubscriptionsRefused, after trying every topic, when Shopify refused some."""
    uri = webhook_uri(resources)
    existing: set[str] = set()
    after: str | None = None
    while True:
        data = await admin_query(resources, shop_id, shop, LIST_SUBSCRIPTIONS, {"after": after})
        page: dict[str, Any] = data["webhookSubscriptions"]
        existing.update(node["topic"] for node in page["nodes"] if node.get("uri") == uri)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    created: list[str] = []
    refused: list[tuple[str, str]] = []
    for topic in APP_WEBHOOK_TOPICS:
        if graphql_topic(topic) in existing:
            continue
        data = await admin_query(
            resources,
            shop_id,
            shop,
            CREATE_SUBSCRIPTION,
            {"topic": graphql_topic(topic), "webhookSubscription": {"uri": uri}},
        )
        errors: list[dict[str, Any]] = data["webhookSubscriptionCreate"]["userErrors"] or []
        if not errors:
            created.append(topic)
        elif not _already_subscribed(errors):
            message = "; ".join(str(e.get("message")) for e in errors)
            log.warning("webhook subscription refused", shop=shop, topic=topic, error=message)
            refused.append((topic, message))
    if refused:
        raise WebhookSubscriptionsRefused(shop, refused, created)
    return created
