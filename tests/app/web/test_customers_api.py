"""GET /api/customers: the shop's customers by name or email, redacted ones left out."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop


async def add(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, shopify_id: int, **fields: object
) -> None:
    async with sessions.begin() as session:
        session.add(Customer(shop_id=shop_id, shopify_id=shopify_id, tags=[], **fields))


async def test_search_by_name_or_email_within_the_shop(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    other = await create_shop(sessions, domain="other.myshopify.com")
    await add(sessions, shop.id, 1, email="ines@example.test", first_name="Inès", last_name="Roy")
    await add(sessions, shop.id, 2, email="paul@example.test", first_name="Paul", last_name="Roy")
    await add(
        sessions,
        shop.id,
        3,
        email="gone@example.test",
        first_name="Gone",
        redacted_at=datetime.now(UTC),
    )
    await add(sessions, other.id, 4, email="ines@elsewhere.test", first_name="Inès")
    auth = bearer(mint_session_token(shop.domain))

    def emails(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [c["email"] for c in response.json()]

    assert emails(await client.get("/api/customers", headers=auth)) == [
        "paul@example.test",
        "ines@example.test",
    ]
    assert emails(await client.get("/api/customers?search=INES", headers=auth)) == [
        "ines@example.test"
    ]
    assert emails(await client.get("/api/customers?search=paul roy", headers=auth)) == [
        "paul@example.test"
    ]
    assert emails(await client.get("/api/customers?search=gone", headers=auth)) == []
    # LIKE wildcards in the search are literal characters.
    assert emails(await client.get("/api/customers?search=%25", headers=auth)) == []
    assert (await client.get("/api/customers")).status_code == 401


async def test_session_names_the_shop_currency_for_the_ui(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    async with sessions.begin() as session:
        row = await session.get(type(shop), shop.id)
        assert row is not None
        row.currency, row.timezone = "EUR", "Europe/Paris"
    body = (
        await client.get("/api/session", headers=bearer(mint_session_token(shop.domain)))
    ).json()
    assert body["currency"] == "EUR"
    assert body["timezone"] == "Europe/Paris"
