"""The referral program on the storefront: a request through the simulator's app proxy (signed
as Shopify signs it) answers the program's offer and, for the logged-in customer, their own
code and share link; a guest gets the offer only, and another customer's code never shows."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.models import Customer, ReferralCode
from app.platform.resources import Resources
from app.referrals.settings import KEY, ReferralSettings
from app.scenarios.settings_store import update_settings
from devstore.server import Simulator
from tests.app.loyalty.conftest import now
from tests.support.shops import create_shop


async def test_the_logged_in_customer_gets_their_code_and_link_a_guest_the_offer(
    sim: Simulator, sim_app: FastAPI, resources: Resources
) -> None:
    domain = sim.add_shop("friends-store").domain
    token = sim.install(domain, expiring=False).access_token
    shop = await create_shop(resources.sessions, domain=domain, access_token=token)
    ada = sim.add_customer(domain, "ada@example.com")
    bob = sim.add_customer(domain, "bob@example.com")
    async with resources.sessions.begin() as session:
        await update_settings(
            session,
            shop.id,
            KEY,
            ReferralSettings,
            {"mode": "live", "reward_kind": "code", "reward_code": {"value": "15"}},
            now(),
        )
        for shopper in (ada, bob):
            session.add(Customer(shop_id=shop.id, shopify_id=shopper.id, email=shopper.email))
        await session.flush()
        ada_id = await session.scalar(select(Customer.id).where(Customer.shopify_id == ada.id))
        assert ada_id is not None
        session.add(
            ReferralCode(
                shop_id=shop.id,
                customer_id=ada_id,
                code="REF-ADA2345678",
                issued_because="first_paid_order",
                visits=2,
            )
        )
    app = httpx.ASGITransport(app=sim_app)

    mine = await sim.storefront_proxy(domain, "GET", "/referral", customer_id=ada.id, transport=app)
    assert mine.status_code == 200, mine.text
    assert mine.headers["cache-control"] == "private, no-store"
    body = mine.json()
    assert body["program"] == {
        "enabled": True,
        "friend_offer": "10 %",
        "friend_minimum_subtotal": None,
        "reward": "15 USD",
        "currency": "USD",
    }
    assert body["customer"] == {
        "code": "REF-ADA2345678",
        "link": f"{resources.settings.app_url.rstrip('/')}/r/REF-ADA2345678",
        "visits": 2,
    }

    # Bob has no code yet: his answer holds none, and never Ada's.
    his = await sim.storefront_proxy(domain, "GET", "/referral", customer_id=bob.id, transport=app)
    assert his.json()["customer"] is None
    assert "REF-ADA2345678" not in his.text
    guest = await sim.storefront_proxy(domain, "GET", "/referral", customer_id=None, transport=app)
    assert guest.json()["logged_in"] is False
    assert guest.json()["customer"] is None
