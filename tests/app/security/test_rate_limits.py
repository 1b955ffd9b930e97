"""Rate limits counted in Redis: per shop on previews and test sends, per client IP and per
token on the public shopper endpoints; 429 with Retry-After and a message naming the limit
in English or French; two app processes share the counters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.messaging.config import MessagingConfig
from app.settings import Settings, SettingsError, load_settings
from tests.messaging.conftest import make_shop
from tests.support.network import NoNetwork
from tests.support.session_tokens import bearer, mint_session_token

PREVIEW = "/api/templates/abandoned_cart/1/en/preview"
TEST_SEND = "/api/templates/abandoned_cart/1/en/test-send"


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings, http_transport=NoNetwork())
    async with app.router.lifespan_context(app):
        yield app


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limit_previews": "3/minute",
            "rate_limit_test_sends": "2/hour",
            "rate_limit_public_per_ip": "6/minute",
            "rate_limit_public_per_token": "3/minute",
        }
    )


async def test_previews_are_limited_per_shop_with_retry_after(
    limited: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    busy = await make_shop(sessions, domain="busy.myshopify.com")
    calm = await make_shop(sessions, domain="calm.myshopify.com")
    async with running(limited) as app, client_from(app, "10.0.0.1") as client:
        auth = bearer(mint_session_token(busy.domain))
        for _ in range(3):
            assert (await client.post(PREVIEW, json={}, headers=auth)).status_code == 200
        refused = await client.post(PREVIEW, json={}, headers=auth)
        assert refused.status_code == 429
        assert refused.json()["error"] == "RateLimited"
        assert "at most 3 per minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        french = await client.post(PREVIEW, json={}, headers={**auth, "Accept-Language": "fr"})
        assert (
            "Trop de prévisualisations et enregistrements de modèles pour cette boutique : "
            "au plus 3 par minute" in french.json()["detail"]
        )
        saved = await client.put(
            PREVIEW.removesuffix("/preview"),
            json={"subject": "Hi", "html": "<p>x</p>", "text": "x"},
            headers=auth,
        )
        assert saved.status_code == 429
        other = bearer(mint_session_token(calm.domain))
        assert (await client.post(PREVIEW, json={}, headers=other)).status_code == 200


async def test_test_sends_are_limited_per_shop_across_processes(
    limited: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    # Two app instances on one Redis, as two web processes: the count is shared.
    async with (
        running(limited) as first,
        running(limited) as second,
        client_from(first, "10.0.0.1") as a,
        client_from(second, "10.0.0.2") as b,
    ):
        assert (await a.post(TEST_SEND, json={}, headers=auth)).status_code != 429
        assert (await b.post(TEST_SEND, json={}, headers=auth)).status_code != 429
        refused = await a.post(TEST_SEND, json={}, headers=auth)
        assert refused.status_code == 429
        assert "at most 2 per hour" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) > 60


async def test_public_links_are_limited_per_token_and_per_ip(
    limited: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await make_shop(sessions)
    config = MessagingConfig.from_settings(limited)
    one = config.unsubscribe_url(shop.id, 1).removeprefix(config.app_url)
    two = config.unsubscribe_url(shop.id, 2).removeprefix(config.app_url)
    async with (
        running(limited) as app,
        client_from(app, "10.0.0.1") as first,
        client_from(app, "10.0.0.2") as other,
    ):
        for _ in range(3):
            assert (await first.get(one)).status_code != 429
        refused = await other.get(one)  # another address, the same token
        assert refused.status_code == 429
        assert "requests for this link" in refused.json()["detail"]
        assert "Retry-After" in refused.headers
        for _ in range(3):  # the first address's 4th to 6th requests
            assert (await first.get(two)).status_code != 429
        from_ip = await first.get("/t/o/anything.gif")
        assert from_ip.status_code == 429
        assert "requests from this address" in from_ip.json()["detail"]
        assert (await other.get("/t/o/anything.gif")).status_code == 404


def test_a_malformed_rate_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_API_KEY", "k")
    monkeypatch.setenv("SHOPIFY_API_SECRET", "s")
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", "x")
    monkeypatch.setenv("RATE_LIMIT_PREVIEWS", "lots")
    with pytest.raises(SettingsError, match="RATE_LIMIT_PREVIEWS"):
        load_settings()
