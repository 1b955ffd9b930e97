"""Webhook subscriptions registered through the Admin API, as a fallback for installs that do
not come from `shopify app deploy` (which applies shopify.app.toml). Idempotent: list first.
Compliance topics can only be declared in the toml, so they are not here."""

from __future__ import annotations

from typing import Any

from app.platform.resources import Resources
from app.shopify.graphql import admin_query

# Kept equal to [[webhooks.subscriptions]] topics in shopify.app.toml (a test checks it).
APP_WEBHOOK_TOPICS: tuple[str, ...] = (
    "checkouts/create",
    "checkouts/update",
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
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


async def ensure_webhook_subscriptions(resources: Resources, shop_id: int, shop: str) -> list[str]:
    """Create the subscriptions this shop lacks; return the topics created."""
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
    created = []
    for topic in APP_WEBHOOK_TOPICS:
        if graphql_topic(topic) in existing:
            continue
        await admin_query(
            resources,
            shop_id,
            shop,
            CREATE_SUBSCRIPTION,
            {"topic": graphql_topic(topic), "webhookSubscription": {"uri": uri}},
        )
        created.append(topic)
    return created
