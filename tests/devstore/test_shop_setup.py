"""What an app asks a shop at install: its locales (shopLocales, behind read_locales)."""

from __future__ import annotations

import httpx

from devstore.server import Simulator
from tests.devstore.conftest import SHOP, gql

LOCALES = "{ shopLocales { locale name primary published } }"


async def test_shop_locales_name_the_primary_locale(
    client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.add_shop("paris", primary_locale="fr")
    token = sim.install("paris").access_token
    response = await client.post(
        "/paris.myshopify.com/admin/api/2026-10/graphql.json",
        json={"query": LOCALES},
        headers={"X-Shopify-Access-Token": token},
    )
    assert response.status_code == 200
    assert response.json()["data"]["shopLocales"] == [
        {"locale": "fr", "name": "French", "primary": True, "published": True}
    ]


async def test_shop_locales_need_read_locales(client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.config.scopes = frozenset({"read_customers"})
    limited = sim.install(SHOP).access_token
    body = await gql(client, limited, LOCALES)
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_locales" in body["errors"][0]["message"]


SUBSCRIBE = """
mutation Subscribe($topic: WebhookSubscriptionTopic!) {
  webhookSubscriptionCreate(
    topic: $topic, webhookSubscription: {uri: "https://app.example.com/webhooks"}
  ) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""


async def test_topics_with_customer_data_need_protected_data_approval(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    sim.config.protected_customer_data_approved = False
    refused = await gql(client, token, SUBSCRIBE, {"topic": "ORDERS_CREATE"})
    answer = refused["data"]["webhookSubscriptionCreate"]
    assert answer["webhookSubscription"] is None
    assert answer["userErrors"][0]["field"] == ["webhookSubscription"]
    assert "protected customer data" in answer["userErrors"][0]["message"]
    allowed = await gql(client, token, SUBSCRIBE, {"topic": "APP_UNINSTALLED"})
    assert allowed["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    assert [s.topic for s in sim.shop(SHOP).subscriptions.values()] == ["APP_UNINSTALLED"]
