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


async def test_a_request_that_does_not_validate_is_refused_in_the_merchants_language(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """FastAPI's own check of a body or a query answers like a refused setting: per field,
    in the requester's language (pydantic's English reached the French admin's banner)."""
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    empty_subject = {"subject": "", "html": "<p>Hi</p>", "text": "Hi"}
    for language, detail, message in (
        ("fr", "La requête n'est pas valide", "est trop court : envoyez au moins 1 caractères"),
        ("en", "The request is not valid", "is too short: send at least 1 characters"),
    ):
        refused = await client.put(
            "/api/templates/abandoned_cart/1/en",
            headers={**headers, "Accept-Language": language},
            json=empty_subject,
        )
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["detail"].startswith(detail)
        assert body["problems"] == [
            {"field": "subject", "message": message, "code": "too_short", "params": {"limit": 1}}
        ]

    beyond = await client.get(
        "/api/messages?limit=1000", headers={**headers, "Accept-Language": "fr"}
    )
    assert beyond.status_code == 422
    (problem,) = beyond.json()["problems"]
    assert (problem["field"], problem["code"]) == ("limit", "max")
    assert problem["message"].startswith("doit valoir au plus 200")
