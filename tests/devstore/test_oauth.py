"""OAuth as the app meets it: authorize redirect, code grant, token exchange, expiring tokens."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import httpx

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.server import Simulator
from tests.devstore.conftest import API, SHOP

TOKEN_URL = f"/{SHOP}/admin/oauth/access_token"


def verify_callback(query: dict[str, str], secret: str) -> bool:
    """Shopify's documented check, written independently of the simulator's code."""
    received = query["hmac"]
    rest = {k: v for k, v in query.items() if k not in ("hmac", "signature")}
    message = "&".join(f"{k}={rest[k]}" for k in sorted(rest))
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)


async def authorize(client: httpx.AsyncClient, config: SimulatorConfig) -> dict[str, str]:
    response = await client.get(
        f"/{SHOP}/admin/oauth/authorize",
        params={
            "client_id": config.api_key,
            "scope": "write_discounts,read_customers",
            "redirect_uri": "https://app.example.com/auth/callback",
            "state": "nonce-123",
        },
    )
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("https://app.example.com/auth/callback?")
    return dict(parse_qsl(urlsplit(location).query))


async def test_authorize_redirect_carries_a_valid_hmac(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    query = await authorize(client, config)
    assert set(query) == {"code", "hmac", "host", "shop", "state", "timestamp"}
    assert query["shop"] == SHOP
    assert query["state"] == "nonce-123"
    assert verify_callback(query, config.api_secret)
    assert not verify_callback(query, "another-secret")
    tampered = dict(query, shop="evil.myshopify.com")
    assert not verify_callback(tampered, config.api_secret)


async def test_authorize_rejects_a_foreign_redirect_uri(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    response = await client.get(
        f"/{SHOP}/admin/oauth/authorize",
        params={
            "client_id": config.api_key,
            "scope": "read_customers",
            "redirect_uri": "https://evil.example.com/callback",
            "state": "x",
        },
    )
    assert response.status_code == 400
    assert "redirect_uri" in response.text


async def test_authorization_code_works_once(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    query = await authorize(client, config)
    form = {"client_id": config.api_key, "client_secret": config.api_secret, "code": query["code"]}
    first = await client.post(TOKEN_URL, data=form)
    assert first.status_code == 200
    assert first.json()["scope"] == "read_customers,write_discounts"
    assert first.json()["access_token"].startswith("shpat_")
    again = await client.post(TOKEN_URL, data=form)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"


async def test_wrong_client_secret_is_refused(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    query = await authorize(client, config)
    response = await client.post(
        TOKEN_URL,
        json={"client_id": config.api_key, "client_secret": "nope", "code": query["code"]},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def exchange_form(config: SimulatorConfig, subject: str) -> dict[str, str]:
    return {
        "client_id": config.api_key,
        "client_secret": config.api_secret,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": subject,
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
        "expiring": "1",
    }


async def test_token_exchange_with_a_session_token(
    client: httpx.AsyncClient, sim: Simulator, config: SimulatorConfig
) -> None:
    response = await client.post(
        TOKEN_URL, data=exchange_form(config, sim.mint_session_token(SHOP))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["refresh_token"].startswith("shprt_")
    shop = await client.post(
        API,
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": body["access_token"]},
    )
    assert shop.json()["data"]["shop"]["name"] == "Demo"


async def test_token_exchange_refuses_bad_and_expired_session_tokens(
    client: httpx.AsyncClient, sim: Simulator, config: SimulatorConfig, clock: ManualClock
) -> None:
    forged = sim.mint_session_token(SHOP, secret="shpss_forged_forged_forged_forged_00")
    response = await client.post(TOKEN_URL, data=exchange_form(config, forged))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_subject_token"
    other_shop = sim.mint_session_token("other.myshopify.com")
    response = await client.post(TOKEN_URL, data=exchange_form(config, other_shop))
    assert response.json()["error"] == "invalid_subject_token"
    stale = sim.mint_session_token(SHOP, lifetime=60)
    clock.advance(120)
    response = await client.post(TOKEN_URL, data=exchange_form(config, stale))
    assert response.status_code == 400
    # Shopify says no more than this, whatever was wrong with the token.
    assert response.json() == {
        "error": "invalid_subject_token",
        "error_description": "Token exchange cannot be performed due to an invalid subject token.",
    }


async def test_token_exchange_without_a_subject_token_is_missing_subject_token(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    form = exchange_form(config, "")
    response = await client.post(TOKEN_URL, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "missing_subject_token"
    del form["subject_token"]
    response = await client.post(TOKEN_URL, data=form)
    assert response.json()["error"] == "missing_subject_token"


async def test_expiring_access_token_expires(
    sim_and_client: tuple[Simulator, httpx.AsyncClient], clock: ManualClock
) -> None:
    sim, client = sim_and_client
    sim.config.access_token_lifetime = 2.0
    token = sim.install(SHOP).access_token
    headers = {"X-Shopify-Access-Token": token}
    ok = await client.post(API, json={"query": "{ shop { name } }"}, headers=headers)
    assert ok.status_code == 200
    clock.advance(2.5)
    expired = await client.post(API, json={"query": "{ shop { name } }"}, headers=headers)
    assert expired.status_code == 401


async def refresh(
    client: httpx.AsyncClient, config: SimulatorConfig, refresh_token: str
) -> httpx.Response:
    return await client.post(
        TOKEN_URL,
        data={
            "client_id": config.api_key,
            "client_secret": config.api_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
    )


async def test_refresh_rotates_and_keeps_the_previous_token_until_the_new_one_is_used(
    client: httpx.AsyncClient, sim: Simulator, config: SimulatorConfig
) -> None:
    first = sim.install(SHOP).refresh_token
    assert first is not None
    answer = await refresh(client, config, first)
    assert answer.status_code == 200
    second = answer.json()["refresh_token"]
    assert second != first
    # The response was "lost": the old token still works and yields yet another pair.
    retry = await refresh(client, config, first)
    assert retry.status_code == 200
    third = retry.json()["refresh_token"]
    # The replacement we never stored (second) is superseded by the retry.
    assert (await refresh(client, config, second)).status_code == 400
    # Using the newest one retires the original.
    assert (await refresh(client, config, third)).status_code == 200
    gone = await refresh(client, config, first)
    assert gone.status_code == 400
    assert gone.json()["error"] == "invalid_grant"
