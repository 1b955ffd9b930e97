"""Short-lived expiring tokens: the refresh-ahead window follows the token's lifetime, so a
60-second token is refreshed once per expiry by however many concurrent jobs use it; a lost
refresh answer leaves the still-valid token in service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import ShopifyUnavailable
from app.messaging.consent import WRITE_BACK_JOB
from app.models import Customer, Shop
from app.platform.resources import Resources, build_resources
from app.settings import Settings
from app.shopify.token_cipher import TokenCipher
from app.shopify.tokens import access_token_for
from devstore.server import Simulator
from tests.conftest import TEST_FERNET_KEY
from tests.support.network import LosesAnswers
from tests.support.worker import run_worker_burst

SHOP = "acme.myshopify.com"
TOKEN_LIFETIME = 60
JOBS_PER_WAVE = 30


def refreshes(sim: Simulator) -> int:
    return sum(1 for r in sim.store.refresh_tokens.values() if r.first_used_at is not None)


async def install_by_token_exchange(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> Shop:
    """The managed-install path: the first admin API call exchanges the session token."""
    response = await sim_client.get(
        "/api/session", headers={"Authorization": f"Bearer {sim.mint_session_token(SHOP)}"}
    )
    assert response.status_code == 200, response.text
    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop is not None
    assert shop.access_token_lifetime_seconds in {TOKEN_LIFETIME - 1, TOKEN_LIFETIME}
    return shop


async def let_time_pass(
    sim: Simulator, sessions: async_sessionmaker[AsyncSession], shop_id: int, *, left: float
) -> str:
    """The current token has `left` seconds to live, at Shopify and in our row alike (as if
    TOKEN_LIFETIME - left seconds had passed since it was issued). Returns that token."""
    async with sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        shop.access_token_expires_at = datetime.now(UTC) + timedelta(seconds=left)
        token = TokenCipher([TEST_FERNET_KEY]).decrypt(shop.access_token_encrypted or "")
    sim.store.access_tokens[token].expires_at = sim.clock.monotonic() + left
    return token


async def test_concurrent_jobs_refresh_a_60_second_token_once_per_expiry(
    sim_client: httpx.AsyncClient,
    sim: Simulator,
    sim_settings: Settings,
    resources: Resources,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sim.config.access_token_lifetime = TOKEN_LIFETIME
    sim.add_shop(SHOP)
    shop = await install_by_token_exchange(sim_client, sim, sessions)
    customers = [sim.add_customer(SHOP, f"shopper{i}@example.com") for i in range(JOBS_PER_WAVE)]
    async with sessions.begin() as session:
        rows = [
            Customer(
                shop_id=shop.id,
                shopify_id=c.id,
                email=c.email,
                email_consent_updated_at=datetime.now(UTC),
            )
            for c in customers
        ]
        session.add_all(rows)
        await session.flush()
        customer_ids = [row.id for row in rows]
    shopify = httpx.ASGITransport(app=sim.app())

    for wave in (1, 2):
        old_token = await let_time_pass(sim, sessions, shop.id, left=15)
        for customer_id in customer_ids:
            await resources.queue.enqueue(
                WRITE_BACK_JOB, shop.id, customer_id, job_id=f"write-back:{wave}:{customer_id}"
            )
        seen = len(sim.store.requests)
        await run_worker_burst(sim_settings, http_transport=shopify)

        calls = sim.store.requests[seen:]
        assert [c.status for c in calls] == [200] * JOBS_PER_WAVE  # no 401, no retry
        assert all(not c.errors for c in calls)
        # 15 s left is inside the window (half of 60 s): one refresh, however many jobs.
        assert refreshes(sim) == wave
        assert not sim.store.access_tokens[old_token].revoked
    assert all(c.marketing_state == "UNSUBSCRIBED" for c in customers)


@pytest.fixture
async def losing_resources(
    sim_settings: Settings, sim: Simulator
) -> AsyncIterator[tuple[Resources, LosesAnswers]]:
    """Resources whose Shopify loses the answer to the next refresh while `lose["on"]`."""

    def is_refresh(request: httpx.Request, body: bytes) -> bool:
        return request.url.path.endswith("/admin/oauth/access_token") and b"refresh_token" in body

    transport = LosesAnswers(httpx.ASGITransport(app=sim.app()), lose=is_refresh)
    built = await build_resources(sim_settings, http_transport=transport)
    yield built, transport
    await built.close()


async def stored_refresh_token(
    sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> str | None:
    async with sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
    assert shop is not None
    return shop.refresh_token_encrypted


async def works(resources: Resources, token: str) -> bool:
    settings = resources.settings
    response = await resources.http.post(
        f"{settings.admin_url(SHOP)}/admin/api/{settings.shopify_api_version}/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token},
    )
    return response.status_code == 200


async def test_a_lost_refresh_answer_keeps_the_still_valid_token_in_service(
    sim_client: httpx.AsyncClient,
    sim: Simulator,
    sessions: async_sessionmaker[AsyncSession],
    losing_resources: tuple[Resources, LosesAnswers],
) -> None:
    resources, transport = losing_resources
    sim.config.access_token_lifetime = TOKEN_LIFETIME
    sim.add_shop(SHOP)
    shop = await install_by_token_exchange(sim_client, sim, sessions)
    current = await let_time_pass(sim, sessions, shop.id, left=20)
    stored_refresh = await stored_refresh_token(sessions, shop.id)

    assert await access_token_for(resources, shop.id) == current
    assert transport.lost == 1
    assert refreshes(sim) == 1  # Shopify rotated; we never heard of it
    assert await works(resources, current)
    assert await stored_refresh_token(sessions, shop.id) == stored_refresh

    # The answer arrives next time: the stored refresh token is still good (2026-08 rule).
    transport.lose_nothing()
    fresh = await access_token_for(resources, shop.id)
    assert fresh != current
    assert await works(resources, fresh)


async def test_a_lost_refresh_answer_for_a_token_about_to_expire_is_a_retry_later(
    sim_client: httpx.AsyncClient,
    sim: Simulator,
    sessions: async_sessionmaker[AsyncSession],
    losing_resources: tuple[Resources, LosesAnswers],
) -> None:
    resources, transport = losing_resources
    sim.config.access_token_lifetime = TOKEN_LIFETIME
    sim.add_shop(SHOP)
    shop = await install_by_token_exchange(sim_client, sim, sessions)
    await let_time_pass(sim, sessions, shop.id, left=2)
    with pytest.raises(ShopifyUnavailable):
        await access_token_for(resources, shop.id)
    transport.lose_nothing()
    assert await works(resources, await access_token_for(resources, shop.id))
