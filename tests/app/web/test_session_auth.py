"""Every /api route takes its shop from a verified App Bridge session token, nothing else."""

from __future__ import annotations

import time

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import PREVIOUS_TEST_API_SECRET
from tests.support.network import NoNetwork
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

RETRY_HEADER = "X-Shopify-Retry-Invalid-Session-Request"


async def test_valid_session_token_names_the_installed_shop(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    response = await client.get(
        "/api/session", headers=bearer(mint_session_token("acme.myshopify.com"))
    )
    assert response.status_code == 200
    assert response.json()["shop"] == "acme.myshopify.com"


async def _assert_refused(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await client.get("/api/session", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "InvalidSessionToken"
    assert response.json()["detail"]
    assert response.headers[RETRY_HEADER] == "1"


async def test_missing_authorization_is_refused(client: httpx.AsyncClient) -> None:
    await _assert_refused(client, {})


async def test_token_signed_with_another_secret_is_refused(client: httpx.AsyncClient) -> None:
    token = mint_session_token("acme.myshopify.com", secret="x" * 48)
    await _assert_refused(client, bearer(token))


async def test_token_for_another_app_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", audience="another-app-client-id")
    await _assert_refused(client, bearer(token))


async def test_expired_token_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", issued_at=time.time() - 120)
    await _assert_refused(client, bearer(token))


async def test_token_not_yet_valid_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", issued_at=time.time() + 120)
    await _assert_refused(client, bearer(token))


async def test_small_clock_skew_is_tolerated(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", issued_at=time.time() + 3)
    response = await client.get("/api/session", headers=bearer(token))
    assert response.status_code == 200


async def test_iss_and_dest_naming_different_shops_is_refused(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", issuer_shop="other.myshopify.com")
    await _assert_refused(client, bearer(token))


async def test_query_shop_parameter_is_ignored(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    await create_shop(sessions, domain="other.myshopify.com")
    response = await client.get(
        "/api/session?shop=other.myshopify.com",
        headers=bearer(mint_session_token("acme.myshopify.com")),
    )
    assert response.json()["shop"] == "acme.myshopify.com"


async def test_previous_secret_is_accepted_during_rotation(
    app_with_previous_secret: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain="acme.myshopify.com")
    token = mint_session_token("acme.myshopify.com", secret=PREVIOUS_TEST_API_SECRET)
    response = await app_with_previous_secret.get("/api/session", headers=bearer(token))
    assert response.status_code == 200


async def test_uninstalled_shop_is_not_served_when_shopify_cannot_be_reached(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], no_network: NoNetwork
) -> None:
    await create_shop(sessions, domain="gone.myshopify.com", uninstalled=True, access_token=None)
    response = await client.get(
        "/api/session", headers=bearer(mint_session_token("gone.myshopify.com"))
    )
    # Token exchange is attempted (managed install) and fails: this app reaches no Shopify.
    assert [r.url.path for r in no_network.attempts] == ["/admin/oauth/access_token"]
    assert no_network.attempts[0].url.host == "gone.myshopify.com"
    assert response.status_code == 503
    assert response.json()["error"] == "ShopifyUnavailable"


async def test_a_refused_session_token_is_explained_in_french(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/session", headers={"Accept-Language": "fr"})
    assert response.status_code == 401
    assert response.json() == {
        "error": "InvalidSessionToken",
        "detail": "Envoyez le jeton de session App Bridge sous la forme "
        "`Authorization: Bearer <jeton>`.",
    }
    assert response.headers[RETRY_HEADER] == "1"
