"""Install through the authorization-code grant, end to end against the simulator."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from app.installs.oauth_state import COOKIE_NAME, STATE_LIFETIME_SECONDS, new_state
from app.installs.webhook_subscriptions import APP_WEBHOOK_TOPICS
from app.models import Shop
from app.settings import Settings
from app.web.install import authorize_url
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY
from tests.support import oauth
from tests.support.oauth import install_failure, signed
from tests.support.shops import DEFAULT_SCOPES, create_shop

SHOP = "acme.myshopify.com"


async def start_install(client: httpx.AsyncClient, sim: Simulator) -> dict[str, str]:
    return await oauth.start_install(client, sim, SHOP)


async def shop_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(Shop)) or 0)


async def test_install_stores_an_encrypted_expiring_token_and_opens_the_embedded_app(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(
        SHOP,
        shop_name="Acme Toys",
        currency="EUR",
        iana_timezone="Europe/Paris",
        primary_locale="fr",
    )
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
    assert shop.locale == "fr"
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


async def test_topics_shopify_refuses_are_logged_and_the_install_still_completes(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    sim.config.protected_customer_data_approved = False  # no protected-data approval yet
    query = await start_install(sim_client, sim)
    with capture_logs() as logs:
        done = await sim_client.get("/auth/callback?" + urlencode(query))
    assert done.status_code == 302
    topics = {s.topic for s in sim.shop(SHOP).subscriptions.values()}
    # The shipments' topics carry no customer data (the REST Fulfillment and FulfillmentEvent).
    assert topics == {
        "FULFILLMENTS_UPDATE",
        "FULFILLMENT_EVENTS_CREATE",
        "APP_UNINSTALLED",
        "SHOP_UPDATE",
    }
    refusals = [e for e in logs if e["event"] == "webhook subscription refused"]
    assert {e["topic"] for e in refusals} == set(APP_WEBHOOK_TOPICS) - {
        "fulfillments/update",
        "fulfillment_events/create",
        "app/uninstalled",
        "shop/update",
    }
    assert all("protected customer data" in e["error"] for e in refusals)
    [summary] = [e for e in logs if e["event"] == "webhook subscriptions refused by Shopify"]
    assert summary["created"] == (
        "fulfillments/update,fulfillment_events/create,app/uninstalled,shop/update"
    )
    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop is not None
    assert shop.access_token_encrypted is not None

    # Once approved, the next install subscribes what is missing, and only that.
    sim.config.protected_customer_data_approved = True
    query = await start_install(sim_client, sim)
    assert (await sim_client.get("/auth/callback?" + urlencode(query))).status_code == 302
    topics_now = [s.topic for s in sim.shop(SHOP).subscriptions.values()]
    assert len(topics_now) == len(set(topics_now)) == len(APP_WEBHOOK_TOPICS)


@pytest.mark.parametrize(
    "shop",
    ["evil.com", "acme.myshopify.com.evil.com", "-acme.myshopify.com", "", "acme.myshopify.com/x"],
)
async def test_invalid_shop_is_refused_without_a_redirect(
    sim_client: httpx.AsyncClient, shop: str
) -> None:
    response = await sim_client.get("/auth", params={"shop": shop})
    assert response.status_code == 400
    failure = install_failure(response)
    assert failure.error == "InvalidShopDomain"
    assert failure.title == "Installation problem"
    assert "myshopify.com" in failure.reason
    assert "location" not in response.headers


async def test_invalid_shop_message_speaks_french(sim_client: httpx.AsyncClient) -> None:
    response = await sim_client.get(
        "/auth", params={"shop": "evil.com"}, headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert response.status_code == 400
    failure = install_failure(response)
    assert (failure.lang, failure.title) == ("fr", "Problème d'installation")
    assert "votre-boutique.myshopify.com" in failure.reason


async def test_forged_hmac_is_refused_and_nothing_is_written(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    forged = signed(query, secret="z" * 48)
    response = await sim_client.get("/auth/callback?" + urlencode(forged))
    assert response.status_code == 400
    assert install_failure(response).error == "InvalidOAuthCallback"
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
    assert "timestamp" in install_failure(response).reason
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


async def test_an_expired_state_is_refused_even_with_a_genuine_grant(
    sim_client: httpx.AsyncClient,
    sim: Simulator,
    sim_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sim.add_shop(SHOP)
    # The merchant started the install longer ago than the state lives, then approved it.
    started = time.time() - STATE_LIFETIME_SECONDS - 5
    state = new_state(sim_settings, SHOP, now=started)
    sim_client.cookies.set(COOKIE_NAME, state.cookie, domain="testserver.local", path="/auth")
    query = await oauth.grant(sim, authorize_url(sim_settings, SHOP, state.nonce))
    response = await sim_client.get("/auth/callback?" + urlencode(query))
    assert response.status_code == 400
    failure = install_failure(response)
    assert failure.error == "InvalidOAuthCallback"
    assert "expired" in failure.reason
    assert await shop_count(sessions) == 0


async def test_a_replay_with_the_state_cookie_is_refused_by_the_one_use_guard(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    cookie = sim_client.cookies.get(COOKIE_NAME, path="/auth")
    assert cookie is not None
    assert (await sim_client.get("/auth/callback?" + urlencode(query))).status_code == 302
    async with sessions.begin() as session:
        installed = await session.scalar(select(Shop.access_token_encrypted))
    issued = len(sim.store.access_tokens)

    # The same signed callback and a valid state cookie again (a second tab, a stolen link):
    # hmac, timestamp and state all check out; only the one-use guard refuses it.
    sim_client.cookies.set(COOKIE_NAME, cookie, domain="testserver.local", path="/auth")
    replay = await sim_client.get("/auth/callback?" + urlencode(query))
    assert replay.status_code == 400
    assert "already used" in install_failure(replay).reason
    assert len(sim.store.access_tokens) == issued  # Shopify was not asked again
    async with sessions.begin() as session:
        assert await session.scalar(select(Shop.access_token_encrypted)) == installed


async def test_a_shop_missing_a_configured_scope_is_sent_through_the_grant_again(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    # Installed before read_locales was added to the app's scopes.
    await create_shop(sessions, domain=SHOP, scopes=DEFAULT_SCOPES.replace(",read_locales", ""))
    page = await sim_client.get("/", params={"shop": SHOP, "embedded": "1"})
    assert page.status_code == 200
    # Shopify's grant screen cannot be framed: App Bridge opens /auth in the top window.
    assert f'window.open("http://testserver/auth?shop={SHOP}", "_top")' in page.text
    begin = await sim_client.get("/auth", params={"shop": SHOP})
    requested = parse_qs(urlsplit(begin.headers["location"]).query)["scope"][0].split(",")
    assert "read_locales" in requested
    query = await oauth.grant(sim, begin.headers["location"])
    assert (await sim_client.get("/auth/callback?" + urlencode(query))).status_code == 302
    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop is not None
    assert "read_locales" in shop.scopes.split(",")
    shell = await sim_client.get("/", params={"shop": SHOP, "embedded": "1"})
    assert 'name="shopify-api-key"' in shell.text


async def test_a_refused_callback_answers_in_the_merchants_language(
    sim_client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.add_shop(SHOP)
    query = await start_install(sim_client, sim)
    stale = signed(dict(query, timestamp=str(int(time.time()) - 3600)))
    response = await sim_client.get(
        "/auth/callback?" + urlencode(stale), headers={"Accept-Language": "fr-CA,fr;q=0.9"}
    )
    assert response.status_code == 400
    failure = install_failure(response)
    assert (failure.lang, failure.title) == ("fr", "Problème d'installation")
    assert failure.reason == (
        "L'horodatage du retour de Shopify est trop ancien : relancez l'installation depuis "
        "l'administration Shopify."
    )
    assert "ouvrez de nouveau Boomerang" in response.text
