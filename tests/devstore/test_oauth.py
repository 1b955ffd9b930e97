"""OAuth as the app meets it: authorize redirect, code grant, token exchange, expiring tokens."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

import httpx

from devstore.clock import ManualClock
from devstore.config import SimulatorConfig
from devstore.oauth import shopify_hmac
from devstore.server import Simulator
from tests.devstore.conftest import API, SHOP, Receiver

TOKEN_URL = f"/{SHOP}/admin/oauth/access_token"


def verify_callback(query: dict[str, str], secret: str) -> bool:
    """Shopify's documented check, written independently of the simulator's code."""
    received = query["hmac"]
    rest = {k: v for k, v in query.items() if k not in ("hmac", "signature")}
    message = "&".join(f"{k}={rest[k]}" for k in sorted(rest))
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, received)


# Shopify's documented example of the callback check (authorization code grant, "verify the
# installation request"): this query, signed with the secret "hush", carries this hmac.
DOCUMENTED_QUERY = (
    "code=0907a61c0c8d55e99db179b68161bc00"
    "&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
    "&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"
)


def test_the_documented_hmac_example_verifies() -> None:
    query = dict(parse_qsl(DOCUMENTED_QUERY))
    assert verify_callback(query, "hush")
    assert not verify_callback(query, "hush!")
    assert not verify_callback(dict(query, state="0.6784241404160824"), "hush")
    # The simulator signs its redirects the same way.
    unsigned = {k: v for k, v in query.items() if k != "hmac"}
    assert shopify_hmac(unsigned, "hush") == query["hmac"]
    assert shopify_hmac(query, "hush") == query["hmac"]  # hmac itself left out


async def authorize(
    client: httpx.AsyncClient, config: SimulatorConfig, *, per_user: bool = False
) -> dict[str, str]:
    params = {
        "client_id": config.api_key,
        "scope": "write_discounts,read_customers",
        "redirect_uri": "https://app.example.com/auth/callback",
        "state": "nonce-123",
    }
    if per_user:
        params["grant_options[]"] = "per-user"
    response = await client.get(f"/{SHOP}/admin/oauth/authorize", params=params)
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
    assert "expired" in response.json()["error_description"]


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


OFFLINE = {"access_token", "scope"}
EXPIRING = OFFLINE | {"expires_in", "refresh_token", "refresh_token_expires_in"}
ONLINE = OFFLINE | {"expires_in", "associated_user_scope", "associated_user"}
ASSOCIATED_USER = {
    "id",
    "first_name",
    "last_name",
    "email",
    "email_verified",
    "account_owner",
    "locale",
    "collaborator",
}


async def test_code_grant_answers_carry_exactly_the_documented_keys(
    client: httpx.AsyncClient, config: SimulatorConfig
) -> None:
    credentials = {"client_id": config.api_key, "client_secret": config.api_secret}
    plain = await client.post(
        TOKEN_URL, data={**credentials, "code": (await authorize(client, config))["code"]}
    )
    assert set(plain.json()) == OFFLINE
    expiring = await client.post(
        TOKEN_URL,
        data={**credentials, "code": (await authorize(client, config))["code"], "expiring": "1"},
    )
    body = expiring.json()
    assert set(body) == EXPIRING
    assert body["expires_in"] == 3600
    assert body["refresh_token_expires_in"] == 90 * 24 * 3600
    online = await client.post(
        TOKEN_URL,
        data={**credentials, "code": (await authorize(client, config, per_user=True))["code"]},
    )
    body = online.json()
    assert set(body) == ONLINE
    assert body["access_token"].startswith("shpua_")
    assert set(body["associated_user"]) == ASSOCIATED_USER


async def test_token_exchange_and_refresh_answers_carry_exactly_the_documented_keys(
    client: httpx.AsyncClient, sim: Simulator, config: SimulatorConfig
) -> None:
    offline = await client.post(TOKEN_URL, data=exchange_form(config, sim.mint_session_token(SHOP)))
    assert set(offline.json()) == EXPIRING
    non_expiring = dict(exchange_form(config, sim.mint_session_token(SHOP)), expiring="0")
    assert set((await client.post(TOKEN_URL, data=non_expiring)).json()) == OFFLINE
    online_form = dict(
        exchange_form(config, sim.mint_session_token(SHOP, user_id=42)),
        requested_token_type="urn:shopify:params:oauth:token-type:online-access-token",
    )
    online = (await client.post(TOKEN_URL, data=online_form)).json()
    assert set(online) == ONLINE
    assert set(online["associated_user"]) == ASSOCIATED_USER
    assert online["associated_user"]["id"] == 42
    refreshed = await refresh(client, config, offline.json()["refresh_token"])
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == EXPIRING


async def test_token_endpoint_errors_are_shopifys(
    client: httpx.AsyncClient, sim: Simulator, config: SimulatorConfig
) -> None:
    missing = dict(exchange_form(config, ""), subject_token="")
    answer = await client.post(TOKEN_URL, data=missing)
    assert answer.status_code == 400
    assert set(answer.json()) == {"error", "error_description"}
    assert answer.json()["error"] == "missing_subject_token"
    unknown = await refresh(client, config, "shprt_never_issued")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    wrong_secret = dict(exchange_form(config, sim.mint_session_token(SHOP)), client_secret="nope")
    answer = await client.post(TOKEN_URL, data=wrong_secret)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_client")


async def test_an_uninstalled_app_cannot_exchange_or_refresh_until_reinstalled(
    wired: tuple[Simulator, httpx.AsyncClient, Receiver],
) -> None:
    sim, client, _ = wired
    config = sim.config
    tokens = sim.install(SHOP)
    stale_session = sim.mint_session_token(SHOP)
    await sim.uninstall(SHOP)
    exchanged = await client.post(TOKEN_URL, data=exchange_form(config, stale_session))
    assert (exchanged.status_code, exchanged.json()["error"]) == (400, "invalid_client")
    assert tokens.refresh_token is not None
    refreshed = await refresh(client, config, tokens.refresh_token)
    assert refreshed.json()["error"] == "invalid_grant"
    old = await client.post(
        API,
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": tokens.access_token},
    )
    assert old.status_code == 401
    # Installing again through the authorize page makes the exchange work again.
    await authorize(client, config)
    again = await client.post(TOKEN_URL, data=exchange_form(config, sim.mint_session_token(SHOP)))
    assert again.status_code == 200
