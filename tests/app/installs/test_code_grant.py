"""Install through the authorization-code grant, end to end against the simulator."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.installs.webhook_subscriptions import APP_WEBHOOK_TOPICS
from app.models import Shop
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY, TEST_API_SECRET

SHOP = "acme.myshopify.com"


async def start_install(client: httpx.AsyncClient, sim: Simulator) -> dict[str, str]:
    """GET /auth, then let the simulated Shopify grant it: the callback's query."""
    begin = await client.get("/auth", params={"shop": SHOP})
    assert begin.status_code == 302
    authorize = begin.headers["location"]
    assert authorize.startswith(f"http://sim/{SHOP}/admin/oauth/authorize?")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app()), base_url="http://sim"
    ) as shopify:
        granted = await shopify.get(authorize)
    assert granted.status_code == 302, granted.text
    callback = granted.headers["location"]
    assert callback.startswith("http://testserver/auth/callback?")
    return dict(parse_qsl(urlsplit(callback).query))


def signed(query: dict[str, str], secret: str = TEST_API_SECRET) -> dict[str, str]:
    rest = {k: v for k, v in query.items() if k != "hmac"}
    message = "&".join(f"{k}={rest[k]}" for k in sorted(rest))
    rest["hmac"] = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return rest


async def shop_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(Shop)) or 0)


async def test_install_stores_an_encrypted_expiring_token_and_opens_the_embedded_app(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP, shop_name="Acme Toys", currency="EUR", iana_timezone="Europe/Paris")
    query = await start_install(sim_client, sim)
    done = await sim_client.get("/auth/callback?" + urlencode(query))
    assert done.status_code == 302, done.text
    assert done.headers["location"] == f"https://admin.shopify.com/store/acme/apps/{TEST_API_KEY}"

    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop is not None
    assert shop.name == "Acme Toys"
    assert shop.currency == "EUR"
    assert shop.timezone == "Europe/Paris"
    assert shop.primary_domain_url
    assert shop.access_token_encrypted is not None
    assert "shpat_" not in shop.access_token_encrypted
    assert shop.refresh_token_encrypted is not None
    assert "shprt_" not in shop.refresh_token_encrypted
    assert shop.access_token_expires_at is not None
    assert shop.refresh_token_expires_at is not None
    assert "write_discounts" in shop.scopes.split(",")
    topics = {s.topic for s in sim.shop(SHOP).subscriptions.values()}
    assert {"APP_UNINSTALLED", "ORDERS_CREATE", "SHOP_UPDATE"} <= topics


async def test_webhook_registration_is_idempotent_across_reinstalls(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    for _ in range(2):
        query = await start_install(sim_client, sim)
        assert (await sim_client.get("/auth/callback?" + urlencode(query))).status_code == 302
    topics = [s.topic for s in sim.shop(SHOP).subscriptions.values()]
    assert len(topics) == len(set(topics)) == len(APP_WEBHOOK_TOPICS)
    assert await shop_count(sessions) == 1


@pytest.mark.parametrize(
    "shop",
    ["evil.com", "acme.myshopify.com.evil.com", "-acme.myshopify.com", "", "acme.myshopify.com/x"],
)
async def test_invalid_shop_is_refused_without_a_redirect(
    sim_client: httpx.AsyncClient, shop: str
) -> None:
    response = await sim_client.get("/auth", params={"shop": shop})
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidShopDomain"
    assert "myshopify.com" in response.json()["detail"]
    assert "location" not in response.headers


async def test_invalid_shop_message_speaks_french(sim_client: httpx.AsyncClient) -> None:
    response = await sim_client.get(
        "/auth", params={"shop": "evil.com"}, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert response.status_code == 400
    assert "boutique" in response.json()["detail"]


async def test_forged_hmac_is_refused_and_nothing_is_written(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    forged = signed(query, secret="z" * 48)
    response = await sim_client.get("/auth/callback?" + urlencode(forged))
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidOAuthCallback"
    tampered = dict(query, code=query["code"] + "0")
    assert (await sim_client.get("/auth/callback?" + urlencode(tampered))).status_code == 400
    assert await shop_count(sessions) == 0


async def test_replayed_callback_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    assert (await sim_client.get("/auth/callback?" + urlencode(query))).status_code == 302
    # The browser keeps no state cookie after success; a replay with a stolen cookie fails too.
    replay = await sim_client.get("/auth/callback?" + urlencode(query))
    assert replay.status_code == 400


async def test_state_from_another_install_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    other = signed(dict(query, state="not-the-nonce-we-set"))
    response = await sim_client.get("/auth/callback?" + urlencode(other))
    assert response.status_code == 400
    assert await shop_count(sessions) == 0


async def test_callback_without_the_state_cookie_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    sim_client.cookies.clear()
    response = await sim_client.get("/auth/callback?" + urlencode(query))
    assert response.status_code == 400
    assert await shop_count(sessions) == 0


async def test_stale_timestamp_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    stale = signed(dict(query, timestamp=str(int(time.time()) - 3600)))
    response = await sim_client.get("/auth/callback?" + urlencode(stale))
    assert response.status_code == 400
    assert "timestamp" in response.json()["detail"]
    assert await shop_count(sessions) == 0


async def test_callback_for_another_shop_than_the_state_is_refused(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    sim.add_shop("other.myshopify.com")
    query = await start_install(sim_client, sim)
    moved = signed(dict(query, shop="other.myshopify.com"))
    response = await sim_client.get("/auth/callback?" + urlencode(moved))
    assert response.status_code == 400
    assert await shop_count(sessions) == 0
