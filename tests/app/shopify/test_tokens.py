"""Expiring offline tokens: one refresh per expiry however many callers, refresh after a 401,
recovery from a lost refresh answer, and a token Shopify refuses for good."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import ShopTokenInvalid
from app.installs.service import record_install
from app.models import Shop
from app.platform.resources import Resources
from app.shopify.graphql import admin_query
from app.shopify.oauth import IssuedToken, refresh_offline_token
from app.shopify.tokens import access_token_for
from devstore.server import Simulator

SHOP = "acme.myshopify.com"


async def installed(resources: Resources, sim: Simulator) -> int:
    sim.add_shop(SHOP)
    tokens = sim.install(SHOP)
    issued = IssuedToken(
        access_token=tokens.access_token,
        scopes=frozenset(tokens.scope.split(",")),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        refresh_token=tokens.refresh_token,
        refresh_token_expires_at=datetime.now(UTC) + timedelta(days=90),
    )
    return await record_install(resources, SHOP, issued)


async def expire_soon(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> None:
    """Time passes: the stored token is now inside the refresh-ahead window."""
    async with sessions.begin() as session:
        await session.execute(
            update(Shop)
            .where(Shop.id == shop_id)
            .values(access_token_expires_at=datetime.now(UTC) + timedelta(seconds=30))
        )


def refreshes(sim: Simulator) -> int:
    return sum(1 for r in sim.store.refresh_tokens.values() if r.first_used_at is not None)


async def works(resources: Resources, token: str) -> bool:
    """Whether the Admin API accepts this very token (no refresh, no retry)."""
    settings = resources.settings
    response = await resources.http.post(
        f"{settings.admin_url(SHOP)}/admin/api/{settings.shopify_api_version}/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token},
    )
    return response.status_code == 200 and bool(response.json()["data"]["shop"]["name"])


async def test_a_fresh_token_is_used_as_is(resources: Resources, sim: Simulator) -> None:
    shop_id = await installed(resources, sim)
    token = await access_token_for(resources, shop_id)
    assert await works(resources, token)
    assert refreshes(sim) == 0


async def test_concurrent_callers_share_one_refresh(
    resources: Resources, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop_id = await installed(resources, sim)
    for expiry in range(1, 3):
        await expire_soon(sessions, shop_id)
        tokens = await asyncio.gather(*(access_token_for(resources, shop_id) for _ in range(12)))
        assert refreshes(sim) == expiry
        assert len(set(tokens)) == 1
        assert await works(resources, tokens[0])


async def test_a_401_is_answered_by_a_refresh_and_one_retry(
    resources: Resources, sim: Simulator
) -> None:
    shop_id = await installed(resources, sim)
    for access in sim.store.access_tokens.values():
        access.revoked = True  # Shopify expired it earlier than we thought
    data = await admin_query(resources, shop_id, SHOP, "{ shop { name } }")
    assert data["shop"]["name"]
    assert refreshes(sim) == 1


async def test_a_lost_refresh_answer_is_recovered_with_the_stored_refresh_token(
    resources: Resources, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop_id = await installed(resources, sim)
    stored_refresh = next(iter(sim.store.refresh_tokens))
    # Shopify rotated, but the answer never reached us: nothing was stored.
    await refresh_offline_token(resources.http, resources.settings, SHOP, stored_refresh)
    await expire_soon(sessions, shop_id)
    token = await access_token_for(resources, shop_id)
    assert await works(resources, token)


async def test_a_revoked_refresh_token_marks_the_token_invalid(
    resources: Resources, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop_id = await installed(resources, sim)
    sim.oauth.revoke_shop(SHOP)
    await expire_soon(sessions, shop_id)
    with pytest.raises(ShopTokenInvalid):
        await access_token_for(resources, shop_id)
    async with sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
    assert shop is not None
    assert shop.access_token_encrypted is None
    assert shop.refresh_token_encrypted is None
    assert shop.token_invalid_at is not None
    with pytest.raises(ShopTokenInvalid):
        await access_token_for(resources, shop_id)
