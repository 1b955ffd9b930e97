"""The customer account "Rewards" page's backend: the extension's session token in, the
member's program, position and referral link out, and a redemption whose code exists at the
simulator; CORS headers on every answer (the extension runs on Shopify's origin)."""

from __future__ import annotations

import httpx
import pytest

from app.loyalty import service
from app.models import Customer
from app.platform.resources import Resources
from app.settings import Settings
from devstore.server import Simulator
from tests.app.loyalty.conftest import configure, now
from tests.support.session_tokens import bearer, mint_customer_account_token
from tests.support.shops import create_shop

REWARDS = [{"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5.00"}]


@pytest.fixture
def sim_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "shopify_admin_url_template": "http://sim/{shop}",
            "customer_sync_flush_seconds": 86400.0,
        }
    )


@pytest.fixture
async def member(sim: Simulator, resources: Resources) -> tuple[str, int]:
    """A shop with the program on and a customer holding 700 points: (domain, Shopify id)."""
    domain = sim.add_shop("account-store", currency="EUR").domain
    token = sim.install(domain, expiring=False).access_token
    shop = await create_shop(resources.sessions, domain=domain, access_token=token)
    await configure(resources.sessions, shop.id, enabled=True, rewards=REWARDS)
    shopper = sim.add_customer(domain, "ines@example.com")
    async with resources.sessions.begin() as session:
        row = Customer(shop_id=shop.id, shopify_id=shopper.id, email="ines@example.com")
        row.first_name = "Inès"
        session.add(row)
        await session.flush()
        await service.adjust_points(
            session,
            shop_id=shop.id,
            customer_id=row.id,
            delta=700,
            reason="welcome gift",
            actor=service.merchant_actor(1),
            key="gift",
            now=now(),
        )
    return domain, shopper.id


async def test_the_page_shows_the_members_position_in_their_language(
    sim_client: httpx.AsyncClient, member: tuple[str, int]
) -> None:
    domain, customer = member
    token = mint_customer_account_token(domain, customer_id=customer)
    answer = await sim_client.get("/customer-account/rewards?locale=fr", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    body = answer.json()
    assert body["loyalty"]["customer"]["first_name"] == "Inès"
    assert body["loyalty"]["customer"]["spendable"] == 700
    assert body["loyalty"]["customer"]["redeemable"] == ["five_off"]
    assert body["loyalty"]["program"]["rewards"][0]["label"].endswith("de réduction")
    assert body["referral"]["logged_in"] is True


async def test_a_redemption_gives_a_code_that_exists_at_shopify(
    sim_client: httpx.AsyncClient, sim: Simulator, member: tuple[str, int]
) -> None:
    domain, customer = member
    token = mint_customer_account_token(domain, customer_id=customer)
    answer = await sim_client.post(
        "/customer-account/rewards/redemptions",
        headers=bearer(token),
        json={"reward": "five_off", "key": "click-1"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.json()["code"] in sim.codes(domain)
    again = await sim_client.get("/customer-account/rewards", headers=bearer(token))
    assert again.json()["loyalty"]["customer"]["spendable"] == 200


async def test_a_forged_or_missing_token_is_refused_readably(
    sim_client: httpx.AsyncClient, member: tuple[str, int]
) -> None:
    domain, customer = member
    other_secret = "another-apps-secret-at-least-32-bytes"
    forged = mint_customer_account_token(domain, customer_id=customer, secret=other_secret)
    for headers in (bearer(forged), {}):
        answer = await sim_client.get("/customer-account/rewards", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.json()["error"] == "InvalidSessionToken"


async def test_a_token_without_a_customer_cannot_redeem(
    sim_client: httpx.AsyncClient, member: tuple[str, int]
) -> None:
    domain, _customer = member
    token = mint_customer_account_token(domain, customer_id=None)
    answer = await sim_client.post(
        "/customer-account/rewards/redemptions",
        headers=bearer(token),
        json={"reward": "five_off", "key": "click-1"},
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "NotLoggedIn"


async def test_the_preflight_allows_the_extensions_origin(sim_client: httpx.AsyncClient) -> None:
    answer = await sim_client.options(
        "/customer-account/rewards/redemptions",
        headers={
            "Origin": "https://extensions.shopifycdn.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in answer.headers["access-control-allow-headers"]
