"""An app/uninstalled delivered late (Shopify retries for hours) after the merchant has
already reinstalled must not wipe the new install; one triggered after it still applies."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.installs.status import has_usable_token
from app.models import Shop, WebhookEvent
from app.platform.resources import Resources
from app.settings import Settings
from app.shopify.graphql import admin_query
from devstore.server import Simulator
from devstore.webhooks import Delivery
from tests.support.oauth import install
from tests.support.worker import run_worker_burst

SHOP = "acme.myshopify.com"


async def stored_shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    async with sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert shop is not None
    return shop


def uninstall_delivery(sim: Simulator) -> Delivery:
    """The app/uninstalled Shopify builds when the merchant removes the app, now."""
    now = datetime.now(UTC)
    return sim.webhooks.build(SHOP, "app/uninstalled", sim.payloads(SHOP).shop_body(now), at=now)


async def deliver_and_process(
    client: httpx.AsyncClient, sim: Simulator, settings: Settings, delivery: Delivery
) -> None:
    response = await client.post("/webhooks", content=delivery.body, headers=delivery.headers)
    assert response.status_code == 200
    await run_worker_burst(settings, http_transport=httpx.ASGITransport(app=sim.app()))


async def test_a_late_uninstall_from_before_the_reinstall_keeps_the_new_token(
    sim_client: httpx.AsyncClient,
    sim: Simulator,
    sim_settings: Settings,
    resources: Resources,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sim.add_shop(SHOP)
    await install(sim_client, sim, SHOP)
    # The merchant removes the app; the app/uninstalled delivery is held up at Shopify...
    sim.oauth.revoke_shop(SHOP)
    late = uninstall_delivery(sim)
    # ...and reinstalls before it arrives.
    await install(sim_client, sim, SHOP)
    reinstalled = await stored_shop(sessions)

    await deliver_and_process(sim_client, sim, sim_settings, late)

    shop = await stored_shop(sessions)
    assert shop.uninstalled_at is None
    assert has_usable_token(shop)
    assert shop.access_token_encrypted == reinstalled.access_token_encrypted
    assert (await admin_query(resources, shop.id, SHOP, "{ shop { name } }"))["shop"]["name"]
    async with sessions.begin() as session:
        event = await session.scalar(select(WebhookEvent))
    assert event is not None
    assert event.status == "processed"

    # An uninstall triggered after the reinstall is a real one.
    sim.oauth.revoke_shop(SHOP)
    await deliver_and_process(sim_client, sim, sim_settings, uninstall_delivery(sim))
    shop = await stored_shop(sessions)
    assert shop.uninstalled_at is not None
    assert shop.access_token_encrypted is None
