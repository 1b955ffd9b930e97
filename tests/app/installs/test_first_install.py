"""A shop installed anew starts with every scenario off and its postal address read from
Shopify; a shop that was already installed keeps what it runs when it comes back."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import ScenarioSetting, Shop
from devstore.server import Simulator
from devstore.state import ShopAddress
from tests.support.oauth import install
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

SHOP = "acme.myshopify.com"


async def _shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    async with sessions.begin() as session:
        found = await session.scalar(select(Shop).where(Shop.domain == SHOP))
    assert found is not None
    return found


async def test_a_new_install_runs_nothing_until_the_merchant_turns_a_scenario_on(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP, shop_name="Acme Toys", currency="EUR")
    await install(sim_client, sim, SHOP)
    headers = bearer(mint_session_token(SHOP))

    cards = (await sim_client.get("/api/scenarios", headers=headers)).json()
    assert {card["key"]: card["settings"]["mode"] for card in cards} == {
        "abandoned_cart": "paused",
        "review_request": "paused",
        "welcome": "paused",
        "winback": "paused",
    }
    guide = (await sim_client.get("/api/setup-guide", headers=headers)).json()
    assert guide["steps"] == [
        {"key": "sender", "done": False},
        {"key": "preview", "done": False},
        {"key": "test", "done": False},
        {"key": "turn_on", "done": False},
    ]
    assert (guide["done"], guide["on"]) == (0, {})

    # Turning one on (approval first) is what the guide's last step reads.
    turned = await sim_client.put(
        "/api/scenarios/abandoned_cart", headers=headers, json={"mode": "approval"}
    )
    assert turned.status_code == 200, turned.text
    guide = (await sim_client.get("/api/setup-guide", headers=headers)).json()
    assert guide["steps"][-1] == {"key": "turn_on", "done": True}
    assert guide["on"] == {"abandoned_cart": "approval"}


async def test_the_postal_address_is_read_from_the_shop_at_install(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(
        SHOP,
        shop_name="Acme Toys",
        address=ShopAddress(
            company="Acme Toys SAS",
            address1="5 avenue Foch",
            address2="Bâtiment B",
            city="Lyon",
            zip="69006",
            country="France",
            country_code="FR",
        ),
    )
    await install(sim_client, sim, SHOP)
    shop = await _shop(sessions)
    assert shop.postal_address == "Acme Toys SAS\n5 avenue Foch\nBâtiment B\n69006 Lyon\nFrance"
    sender = (await sim_client.get("/api/sender", headers=bearer(mint_session_token(SHOP)))).json()
    assert sender["postal_address"] == [
        "Acme Toys SAS",
        "5 avenue Foch",
        "Bâtiment B",
        "69006 Lyon",
        "France",
    ]


async def test_a_shop_installed_before_keeps_its_scenarios_when_it_installs_again(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    await create_shop(sessions, domain=SHOP, access_token=None)  # installed, token lost
    await install(sim_client, sim, SHOP)
    async with sessions.begin() as session:
        rows = (await session.scalars(select(ScenarioSetting))).all()
    assert rows == []  # nothing stored: the defaults it ran with still apply
    cart = await sim_client.get(
        "/api/scenarios/abandoned_cart", headers=bearer(mint_session_token(SHOP))
    )
    assert cart.json()["mode"] == "live"


async def test_a_shop_whose_data_was_redacted_installs_anew_with_everything_off(
    sim_client: httpx.AsyncClient, sim: Simulator, sessions: async_sessionmaker[AsyncSession]
) -> None:
    sim.add_shop(SHOP)
    shop = await create_shop(sessions, domain=SHOP, access_token=None)
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.redacted_at = row.uninstalled_at = row.installed_at
    await install(sim_client, sim, SHOP)
    cart = await sim_client.get(
        "/api/scenarios/abandoned_cart", headers=bearer(mint_session_token(SHOP))
    )
    assert cart.json()["mode"] == "paused"
