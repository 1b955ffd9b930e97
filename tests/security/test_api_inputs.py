"""Inputs the API fuzzer found answered 500, one example each: they are 422 now (or served)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

SHOP = "acme.myshopify.com"
BEYOND_BIGINT = 2**63


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"/api/customers/{BEYOND_BIGINT}/timeline"),
        ("POST", f"/api/approvals/{BEYOND_BIGINT}/approve"),
        ("POST", f"/api/approvals/{BEYOND_BIGINT}/reject"),
        ("POST", f"/api/webhook-events/{BEYOND_BIGINT}/replay"),
        ("GET", f"/api/messages?before_id={BEYOND_BIGINT}"),
        ("GET", f"/api/webhook-events?before_id={BEYOND_BIGINT}"),
    ],
)
async def test_an_id_beyond_bigint_is_a_422(
    method: str, url: str, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)

    response = await client.request(method, url, headers=bearer(mint_session_token(SHOP)))

    assert response.status_code == 422


@pytest.mark.parametrize(
    "url",
    ["/api/customers?search=%00", "/api/approvals?scenario=a%00b", "/api/messages?scenario=%00"],
)
async def test_a_nul_character_is_a_422(
    url: str, client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)

    response = await client.get(url, headers=bearer(mint_session_token(SHOP)))

    assert response.status_code == 422
    assert response.json()["error"] == "UnstorableValue"
