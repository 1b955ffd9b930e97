"""Writing an unsubscribe back to Shopify is the merchant's choice (on unless they turn it
off): the one-click link always unsubscribes locally at once; customerEmailMarketingConsentUpdate
reaches Shopify (the simulator) only while the setting is on, also when it is turned off
between the click and the job."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.models import Customer
from app.settings import Settings
from devstore import SimulatorConfig, create_simulator
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY, TEST_API_SECRET
from tests.messaging.conftest import make_customer, make_shop
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.worker import run_worker_burst

SHOP = "acme.myshopify.com"


@pytest.fixture
def simulator() -> tuple[Any, Simulator]:
    app, sim = create_simulator(SimulatorConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET))
    sim.add_shop("acme", shop_name="Acme")
    return app, sim


@pytest.fixture
def worker_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"shopify_admin_url_template": "http://sim/{shop}"})


def _consent_calls(sim: Simulator) -> list[dict[str, Any]]:
    return [
        r.variables for r in sim.store.requests if "customerEmailMarketingConsentUpdate" in r.query
    ]


async def _subscribed_shopper(
    sessions: async_sessionmaker[AsyncSession], simulator: tuple[Any, Simulator]
) -> tuple[Customer, int, dict[str, str]]:
    """An installed shop and a subscribed customer known to both sides; the merchant's auth."""
    sim = simulator[1]
    shop = await make_shop(sessions, access_token=sim.install("acme").access_token)
    simulated = sim.add_customer(SHOP, "nina@example.test", accepts_marketing=True)
    customer = await make_customer(
        sessions, shop, email="nina@example.test", shopify_id=simulated.id
    )
    auth = bearer(mint_session_token(shop.domain))
    return customer, simulated.id, auth


async def _set_write_back(client: httpx.AsyncClient, auth: dict[str, str], on: bool) -> None:
    current = (await client.get("/api/messaging/settings", headers=auth)).json()
    response = await client.put(
        "/api/messaging/settings", json={**current, "consent_write_back": on}, headers=auth
    )
    assert response.status_code == 200, response.text
    assert response.json()["consent_write_back"] is on


async def _click_unsubscribe(
    client: httpx.AsyncClient, config: MessagingConfig, customer: Customer
) -> None:
    url = config.unsubscribe_url(customer.shop_id, customer.id).removeprefix(config.app_url)
    response = await client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200


async def _local_state(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> str | None:
    async with sessions.begin() as session:
        return await session.scalar(
            select(Customer.email_marketing_state).where(Customer.id == customer_id)
        )


async def test_by_default_the_unsubscribe_is_written_back_to_shopify(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
    worker_settings: Settings,
    simulator: tuple[Any, Simulator],
) -> None:
    customer, shopify_id, auth = await _subscribed_shopper(sessions, simulator)
    settings = (await client.get("/api/messaging/settings", headers=auth)).json()
    assert settings["consent_write_back"] is True
    await _click_unsubscribe(client, config, customer)
    await run_worker_burst(worker_settings, http_transport=httpx.ASGITransport(app=simulator[0]))
    sim = simulator[1]
    (call,) = _consent_calls(sim)
    assert call["input"]["customerId"] == f"gid://shopify/Customer/{shopify_id}"
    assert call["input"]["emailMarketingConsent"]["marketingState"] == "UNSUBSCRIBED"
    assert sim.shop(SHOP).customers[shopify_id].marketing_state == "UNSUBSCRIBED"


async def test_with_write_back_off_shopify_is_not_told_but_the_shopper_is_unsubscribed(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
    worker_settings: Settings,
    simulator: tuple[Any, Simulator],
) -> None:
    customer, shopify_id, auth = await _subscribed_shopper(sessions, simulator)
    await _set_write_back(client, auth, False)
    # Saving the other settings without the field keeps the choice.
    current = (await client.get("/api/messaging/settings", headers=auth)).json()
    del current["consent_write_back"]
    kept = await client.put("/api/messaging/settings", json=current, headers=auth)
    assert kept.json()["consent_write_back"] is False

    await _click_unsubscribe(client, config, customer)
    await run_worker_burst(worker_settings, http_transport=httpx.ASGITransport(app=simulator[0]))
    sim = simulator[1]
    assert _consent_calls(sim) == []
    assert sim.shop(SHOP).customers[shopify_id].marketing_state == "SUBSCRIBED"
    assert await _local_state(sessions, customer.id) == "unsubscribed"


async def test_write_back_turned_off_after_the_click_is_honoured_by_the_job(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
    worker_settings: Settings,
    simulator: tuple[Any, Simulator],
) -> None:
    customer, shopify_id, auth = await _subscribed_shopper(sessions, simulator)
    await _click_unsubscribe(client, config, customer)  # the job is queued now
    await _set_write_back(client, auth, False)
    await run_worker_burst(worker_settings, http_transport=httpx.ASGITransport(app=simulator[0]))
    assert _consent_calls(simulator[1]) == []
    assert simulator[1].shop(SHOP).customers[shopify_id].marketing_state == "SUBSCRIBED"
    assert await _local_state(sessions, customer.id) == "unsubscribed"
