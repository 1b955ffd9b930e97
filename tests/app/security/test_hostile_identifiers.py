"""Identifiers a client writes (shop domains, signatures, cookies) refused as invalid, never
a redirect or a 500: a shop handle is one DNS label (63 characters at most) and a non-ASCII
signature is simply a wrong one."""

from __future__ import annotations

import time

import httpx
import pytest

from app.shopify.webhook_verification import sign
from tests.conftest import TEST_API_SECRET
from tests.support.oauth import install_failure, signed

LONGEST = "a" * 63 + ".myshopify.com"
TOO_LONG = "a" * 64 + ".myshopify.com"


async def test_install_of_a_300_character_shop_is_a_400(client: httpx.AsyncClient) -> None:
    answer = await client.get("/auth", params={"shop": "a" * 286 + ".myshopify.com"})
    assert answer.status_code == 400
    assert install_failure(answer).error == "InvalidShopDomain"


async def test_a_handle_of_64_characters_is_refused_and_63_accepted(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/auth", params={"shop": TOO_LONG})).status_code == 400
    assert (await client.get("/auth", params={"shop": LONGEST})).status_code == 302


async def test_callback_and_embedded_page_refuse_an_overlong_shop(
    client: httpx.AsyncClient,
) -> None:
    query = signed(
        {"shop": TOO_LONG, "code": "x", "state": "s", "timestamp": str(int(time.time()))}
    )
    assert (await client.get("/auth/callback", params=query)).status_code == 400
    assert (await client.get("/", params={"shop": TOO_LONG})).status_code == 400


async def test_a_webhook_naming_an_overlong_shop_is_refused(client: httpx.AsyncClient) -> None:
    body = b'{"id": 1}'
    answer = await client.post(
        "/webhooks",
        content=body,
        headers={
            "X-Shopify-Hmac-Sha256": sign(body, TEST_API_SECRET),
            "X-Shopify-Topic": "customers/update",
            "X-Shopify-Shop-Domain": TOO_LONG,
            "X-Shopify-Webhook-Id": "w-1",
        },
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("signature", ["é" * 64, "ünïcode", "\xff"])
async def test_a_non_ascii_email_events_signature_is_a_401(
    client: httpx.AsyncClient, signature: str
) -> None:
    answer = await client.post(
        "/hooks/email-events",
        content=b'{"events": []}',
        headers={"X-Boomerang-Signature": signature.encode("utf-8")},
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "Unauthorized"


async def test_a_non_ascii_oauth_state_cookie_is_a_400(client: httpx.AsyncClient) -> None:
    shop = "acme.myshopify.com"
    query = signed({"shop": shop, "code": "x", "state": "n", "timestamp": str(int(time.time()))})
    cookie = f"boomerang_oauth_state=n|{shop}|{int(time.time()) + 60}|sïgnätüre"
    answer = await client.get(
        "/auth/callback", params=query, headers={"Cookie": cookie.encode("utf-8")}
    )
    assert answer.status_code == 400
    assert install_failure(answer).error == "InvalidOAuthCallback"
