"""Managed installation: the embedded page and the admin API install a shop by token exchange;
the embedded page frames only inside its shop's admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from devstore.clock import ManualClock
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY
from tests.support.session_tokens import bearer
from tests.support.shops import DEFAULT_SCOPES, create_shop

SHOP = "acme.myshopify.com"
RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"


async def stored(sessions: async_sessionmaker[AsyncSession]) -> Shop | None:
    async with sessions.begin() as session:
        return await session.scalar(select(Shop).where(Shop.domain == SHOP))


async def test_first_api_call_exchanges_the_session_token_for_an_offline_token(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP, shop_name="Acme Toys")
    response = await sim_client.get("/api/session", headers=bearer(sim.mint_session_token(SHOP)))
    assert response.status_code == 200, response.text
    assert response.json()["shop"] == SHOP
    shop = await stored(sessions)
    assert shop is not None
    assert shop.name == "Acme Toys"
    assert shop.refresh_token_encrypted is not None


async def test_embedded_page_with_id_token_installs_and_serves_the_shell(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    response = await sim_client.get(
        "/",
        params={"shop": SHOP, "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ", "locale": "fr"},
    )
    assert response.status_code == 302  # no id_token: through install
    assert response.headers["location"].startswith("http://testserver/auth?shop=")
    response = await sim_client.get(
        "/", params={"shop": SHOP, "id_token": sim.mint_session_token(SHOP), "locale": "fr"}
    )
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == (
        f"frame-ancestors https://{SHOP} https://admin.shopify.com;"
    )
    assert f'<meta name="shopify-api-key" content="{TEST_API_KEY}">' in response.text
    assert "https://cdn.shopify.com/shopifycloud/app-bridge.js" in response.text
    assert "Chargement" in response.text
    assert await stored(sessions) is not None


async def test_embedded_page_refuses_a_bad_shop(sim_client: httpx.AsyncClient) -> None:
    response = await sim_client.get("/", params={"shop": "evil.example.com"})
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_id_token_for_another_shop_does_not_install_this_one(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    sim.add_shop("other.myshopify.com")
    response = await sim_client.get(
        "/", params={"shop": SHOP, "id_token": sim.mint_session_token("other.myshopify.com")}
    )
    assert response.status_code == 302
    assert await stored(sessions) is None


async def shop_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return len(list(await session.scalars(select(Shop))))


async def test_exchange_refused_for_the_app_credentials_is_not_retried(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    session_token = sim.mint_session_token(SHOP)
    # Shopify now holds another client secret (rotated without telling this deployment).
    sim.config.api_secret = "rotated-client-secret-0123456789abcdef-0123456"
    response = await sim_client.get("/api/session", headers=bearer(session_token))
    assert response.status_code == 502
    assert response.json()["error"] == "ShopifyAuthError"
    assert "SHOPIFY_API_SECRET" in response.json()["detail"]
    # Not a session-token problem: App Bridge must not fetch a new one and retry.
    assert RETRY_HEADER not in response.headers
    assert await shop_count(sessions) == 0


async def test_session_token_expired_at_shopify_asks_app_bridge_for_a_new_one(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    session_token = sim.mint_session_token(SHOP)
    # Valid when we checked it, expired by the time Shopify's token endpoint looks at it.
    sim.runtime.clock = ManualClock(datetime.now(UTC) + timedelta(minutes=2))
    response = await sim_client.get("/api/session", headers=bearer(session_token))
    assert response.status_code == 401
    assert response.json()["error"] == "InvalidSessionToken"
    assert response.headers[RETRY_HEADER] == "1"
    assert await shop_count(sessions) == 0


async def test_exchange_for_a_shop_shopify_does_not_know_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    response = await sim_client.get(
        "/api/session", headers=bearer(sim.mint_session_token("ghost.myshopify.com"))
    )
    assert response.status_code == 404
    assert response.json()["error"] == "ShopUnknownToShopify"
    assert "ghost.myshopify.com" in response.json()["detail"]
    assert RETRY_HEADER not in response.headers
    assert await shop_count(sessions) == 0


async def test_api_call_for_a_shop_missing_a_scope_picks_up_the_new_grant(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Managed installation: Shopify updates the scopes itself; token exchange carries them."""
    sim.add_shop(SHOP)
    await create_shop(sessions, domain=SHOP, scopes=DEFAULT_SCOPES.replace(",read_locales", ""))
    response = await sim_client.get("/api/session", headers=bearer(sim.mint_session_token(SHOP)))
    assert response.status_code == 200, response.text
    shop = await stored(sessions)
    assert shop is not None
    assert "read_locales" in shop.scopes.split(",")
    assert len(sim.store.access_tokens) == 1


async def test_api_call_before_the_merchant_approves_a_scope_is_served_and_asks_rarely(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    # Shopify does not grant read_locales yet (the merchant has not approved the update).
    sim.config.scopes = sim.config.scopes - {"read_locales"}
    await create_shop(sessions, domain=SHOP, scopes=DEFAULT_SCOPES.replace(",read_locales", ""))
    for _ in range(3):
        response = await sim_client.get(
            "/api/session", headers=bearer(sim.mint_session_token(SHOP))
        )
        assert response.status_code == 200, response.text
    assert len(sim.store.access_tokens) == 1  # one exchange, not one per call
    shop = await stored(sessions)
    assert shop is not None
    assert "read_locales" not in shop.scopes.split(",")
