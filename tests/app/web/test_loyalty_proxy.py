"""The loyalty program on the storefront: requests come through the Shopify simulator's app
proxy (signed as Shopify signs them) into the app, and the answers, ledger rows and codes at
the simulator are read back."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.loyalty import redemptions, service
from app.loyalty.verify import verify
from app.models import Customer, LoyaltyRedemption, PointsLedgerEntry
from app.platform.resources import Resources
from app.queue.deferred import transaction
from app.settings import Settings
from devstore.server import STOREFRONT_CUSTOMER_COOKIE, Simulator
from tests.app.loyalty.conftest import configure, now, position
from tests.support.commerce_payloads import paid_order
from tests.support.shops import create_shop
from tests.support.webhooks import deliver_and_process
from tests.support.worker import run_worker_burst

REWARDS = [
    {"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5.00"},
    {"key": "ten_percent", "cost": 1000, "kind": "percentage", "value": "10"},
    {"key": "free_shipping", "cost": 300, "kind": "free_shipping"},
]
TIERS = [
    {"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "1000"},
    {"key": "gold", "name_en": "Gold", "name_fr": "Or", "threshold": "5000", "multiplier": "2"},
]


@pytest.fixture
def sim_settings(settings: Settings) -> Settings:
    # The rate limit has its own test; here twenty racing requests all reach the ledger.
    return settings.model_copy(
        update={
            "shopify_admin_url_template": "http://sim/{shop}",
            "customer_sync_flush_seconds": 86400.0,
            "rate_limit_redemptions": "100/minute",
        }
    )


@dataclass
class Storefront:
    sim: Simulator
    domain: str
    shop_id: int
    resources: Resources
    app: httpx.AsyncBaseTransport
    customer_id: int
    shopper_id: int  # Shopify's id of the logged-in customer

    async def request(
        self,
        method: str,
        path: str,
        *,
        customer: int | str | None = "me",
        body: dict[str, Any] | None = None,
        query: list[tuple[str, str]] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        return await self.sim.storefront_proxy(
            self.domain,
            method,
            path,
            customer_id=self.shopper_id if customer == "me" else customer,  # type: ignore[arg-type]
            query=query,
            body=json.dumps(body).encode() if body is not None else b"",
            headers={"content-type": "application/json"} if body is not None else None,
            transport=self.app,
            timestamp=timestamp,
        )

    async def give(self, points: int, key: str = "gift") -> None:
        async with self.resources.sessions.begin() as session:
            await service.adjust_points(
                session,
                shop_id=self.shop_id,
                customer_id=self.customer_id,
                delta=points,
                reason="welcome gift",
                actor=service.merchant_actor(1),
                key=key,
                now=now(),
            )


@pytest.fixture
async def storefront(sim: Simulator, sim_app: FastAPI, resources: Resources) -> Storefront:
    domain = sim.add_shop("points-store").domain
    token = sim.install(domain, expiring=False).access_token
    shop = await create_shop(resources.sessions, domain=domain, access_token=token)
    await configure(resources.sessions, shop.id, enabled=True, rewards=REWARDS, tiers=TIERS)
    shopper = sim.add_customer(domain, "ada@example.com")
    async with resources.sessions.begin() as session:
        row = Customer(
            shop_id=shop.id, shopify_id=shopper.id, email="ada@example.com", first_name="Ada"
        )
        session.add(row)
        await session.flush()
        customer_id = row.id
    return Storefront(
        sim=sim,
        domain=domain,
        shop_id=shop.id,
        resources=resources,
        app=httpx.ASGITransport(app=sim_app),
        customer_id=customer_id,
        shopper_id=shopper.id,
    )


async def test_a_logged_in_customer_sees_balance_pending_tier_progress_and_rewards(
    storefront: Storefront,
) -> None:
    await configure(storefront.resources.sessions, storefront.shop_id, pending_days=14)
    await storefront.give(1200)
    async with storefront.resources.sessions.begin() as session:
        await service.award_bonus(
            session,
            shop_id=storefront.shop_id,
            customer_id=storefront.customer_id,
            points=150,
            source_type="review",
            source_id="r1",
            now=now(),
        )

    answer = await storefront.request("GET", "/loyalty")

    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    body = answer.json()
    me = body["customer"]
    assert (me["balance"], me["pending"], me["spendable"]) == (1350, 0, 1350)
    # The tiers count points earned (the bonus), not an adjustment.
    assert me["tier"] is None
    assert me["next_tier"]["key"] == "silver"
    assert me["to_next_tier"] == "850"
    assert me["redeemable"] == ["five_off", "ten_percent", "free_shipping"]
    assert body["program"]["pending_note"].startswith("Points from an order become spendable 14")
    assert [r["label"] for r in body["program"]["rewards"]] == [
        "$5.00 off",
        "10% off",
        "Free shipping",
    ]


async def test_an_orders_pending_points_show_apart_until_the_period_ends(
    storefront: Storefront, sim_settings: Settings
) -> None:
    """A paid order delivered as Shopify sends it earns points that are pending for the
    period: shown apart, not redeemable; the period over, spendable (read from the ledger)."""
    await configure(storefront.resources.sessions, storefront.shop_id, pending_days=14)
    await storefront.give(300, key="spendable")
    body = paid_order(
        order_id=4242,
        customer_id=storefront.shopper_id,
        email="ada@example.com",
        subtotal="600.00",
    )
    async with httpx.AsyncClient(transport=storefront.app, base_url="http://testserver") as app:
        await deliver_and_process(app, sim_settings, "orders/paid", body, shop=storefront.domain)

    me = (await storefront.request("GET", "/loyalty")).json()["customer"]
    assert (me["balance"], me["pending"], me["spendable"]) == (900, 600, 300)
    assert me["redeemable"] == ["free_shipping"]
    refused = await storefront.request(
        "POST", "/loyalty/redemptions", body={"reward": "five_off", "key": "k1"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == "NotEnoughPoints"

    # Fifteen days on: the order's entry matured (moved back in time, as the clock would).
    async with storefront.resources.sessions.begin() as session:
        await session.execute(
            update(PointsLedgerEntry)
            .where(PointsLedgerEntry.kind == "earn")
            .values(
                created_at=PointsLedgerEntry.created_at - timedelta(days=15),
                available_at=PointsLedgerEntry.available_at - timedelta(days=15),
            )
        )
    me = (await storefront.request("GET", "/loyalty")).json()["customer"]
    assert (me["balance"], me["pending"], me["spendable"]) == (900, 0, 900)
    assert "ten_percent" not in me["redeemable"]  # 1,000 points
    assert me["redeemable"] == ["five_off", "free_shipping"]


async def test_a_guest_gets_the_programs_public_description_in_french(
    storefront: Storefront,
) -> None:
    await configure(
        storefront.resources.sessions,
        storefront.shop_id,
        signup={"enabled": True, "points": 50},
    )
    answer = await storefront.request("GET", "/loyalty", customer=None, query=[("locale", "fr")])

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["logged_in"], body["customer"]) == (False, None)
    program = body["program"]
    assert [w["label"] for w in program["ways_to_earn"]] == [
        "1 points par 1 USD dépensé",
        "50 points à la création de votre compte",
    ]
    assert [t["name"] for t in program["tiers"]] == ["Argent", "Or"]
    assert program["rewards"][0]["label"] == "5,00\xa0$US de réduction"
    assert "redeemable" not in program["rewards"][0]


async def test_a_redemption_debits_and_answers_the_code_held_at_shopify(
    storefront: Storefront,
) -> None:
    await storefront.give(800)

    answer = await storefront.request(
        "POST", "/loyalty/redemptions", body={"reward": "five_off", "key": "click-1"}
    )
    again = await storefront.request(
        "POST", "/loyalty/redemptions", body={"reward": "five_off", "key": "click-1"}
    )

    assert answer.status_code == 201, answer.text
    code = answer.json()["code"]
    assert code.startswith("LOYAL-")
    assert again.json()["code"] == code  # the same request key: the same redemption
    assert code in storefront.sim.codes(storefront.domain)
    found = await position(storefront.resources.sessions, storefront.shop_id, storefront.shopper_id)
    assert found.cached_balance == found.ledger_sum == 300
    me = (await storefront.request("GET", "/loyalty")).json()["customer"]
    assert me["spendable"] == 300


async def test_the_customer_comes_only_from_the_signed_query(storefront: Storefront) -> None:
    """A body or an extra query parameter naming another customer changes nothing: the
    redemption is the logged-in customer's, and a guest cannot redeem at all."""
    other = storefront.sim.add_customer(storefront.domain, "eve@example.com")
    async with storefront.resources.sessions.begin() as session:
        session.add(Customer(shop_id=storefront.shop_id, shopify_id=other.id, email="eve@x.com"))
    await storefront.give(600)

    smuggled = await storefront.request(
        "POST",
        "/loyalty/redemptions",
        body={"reward": "five_off", "key": "k", "customer_id": other.id},
    )
    assert smuggled.status_code == 400  # unknown fields are refused outright

    as_guest = await storefront.request(
        "POST",
        "/loyalty/redemptions",
        customer=None,
        query=[("customer_id", str(storefront.shopper_id))],
        body={"reward": "five_off", "key": "k"},
    )
    assert as_guest.status_code == 401
    assert as_guest.json()["error"] == "NotLoggedIn"

    # Eve, logged in, with Ada's id in the query: Eve's (empty) account is what is read.
    eve = await storefront.request(
        "GET", "/loyalty", customer=other.id, query=[("customer_id", str(storefront.shopper_id))]
    )
    assert eve.json()["customer"]["balance"] == 0
    async with storefront.resources.sessions() as session:
        assert list(await session.scalars(select(LoyaltyRedemption))) == []


def _signed_url(storefront: Storefront, path: str, **changes: str | None) -> str:
    """A URL the simulator signed, with some of its parameters changed (None: removed)."""
    url = storefront.sim.app_proxy.forwarded_url(
        storefront.domain,
        path,
        secret=storefront.sim.config.api_secret,
        timestamp=int(time.time()),
        customer_id=storefront.shopper_id,
    )
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"{parts.path}?{urlencode(params)}"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"logged_in_customer_id": "1"}, "signature does not match"),
        ({"signature": "0" * 64}, "signature does not match"),
        ({"signature": None}, "not signed by Shopify"),
        ({"timestamp": None}, "no timestamp"),
        ({"timestamp": "yesterday"}, "not a number"),
    ],
)
async def test_a_forged_or_unsigned_request_is_refused(
    storefront: Storefront, changes: dict[str, str | None], fragment: str
) -> None:
    async with httpx.AsyncClient(transport=storefront.app, base_url="http://testserver") as client:
        answer = await client.get(_signed_url(storefront, "/loyalty", **changes))
    assert answer.status_code == 401
    assert answer.json()["error"] == "InvalidProxyRequest"
    assert fragment in answer.json()["detail"]


async def test_a_stale_timestamp_is_refused_so_a_captured_url_cannot_be_replayed(
    storefront: Storefront,
) -> None:
    await storefront.give(600)
    stale = int(time.time()) - 120
    answer = await storefront.request(
        "POST",
        "/loyalty/redemptions",
        body={"reward": "five_off", "key": "k"},
        timestamp=stale,
        query=[("locale", "fr")],
    )
    assert answer.status_code == 401
    assert "trop ancienne" in answer.json()["detail"]
    found = await position(storefront.resources.sessions, storefront.shop_id, storefront.shopper_id)
    assert found.entries == [("adjust", "manual", 600)]


async def test_another_apps_secret_does_not_sign(storefront: Storefront) -> None:
    url = storefront.sim.app_proxy.forwarded_url(
        storefront.domain,
        "/loyalty",
        secret="another-app's-secret",
        timestamp=int(time.time()),
        customer_id=storefront.shopper_id,
    )
    async with httpx.AsyncClient(transport=storefront.app) as client:
        answer = await client.get(url)
    assert answer.status_code == 401


async def test_twenty_concurrent_redemptions_spend_no_more_than_the_balance(
    storefront: Storefront,
) -> None:
    await storefront.give(2200)

    answers = await asyncio.gather(
        *(
            storefront.request(
                "POST", "/loyalty/redemptions", body={"reward": "five_off", "key": f"tap-{n}"}
            )
            for n in range(20)
        )
    )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 4 + [409] * 16, [a.text for a in answers if a.status_code >= 500]
    found = await position(storefront.resources.sessions, storefront.shop_id, storefront.shopper_id)
    assert found.cached_balance == found.ledger_sum == 200
    # A code at the simulator for every debit, and none without one.
    async with storefront.resources.sessions() as session:
        debits = list(
            await session.scalars(
                select(PointsLedgerEntry).where(PointsLedgerEntry.kind == "redeem")
            )
        )
        rows = {r.id: r for r in await session.scalars(select(LoyaltyRedemption))}
        report = await verify(session)
    assert len(debits) == 4
    at_shopify = {
        code.code: discount
        for discount in storefront.sim.discounts(storefront.domain)
        for code in discount.codes
    }
    for debit in debits:
        row = rows[int(debit.source_id)]
        assert row.status == redemptions.ISSUED
        assert at_shopify[row.code].customer_ids == frozenset({storefront.shopper_id})
    assert set(at_shopify) == {a.json()["code"] for a in answers if a.status_code == 201}
    assert report.differences == []


async def test_redemptions_are_rate_limited_per_customer(
    storefront: Storefront, sim_app: FastAPI
) -> None:
    limiter = sim_app.state.rate_limiter
    limiter.redemptions = type(limiter.redemptions).parse("2/minute", limiter.redemptions.what)
    await storefront.give(5000)
    answers = [
        await storefront.request(
            "POST", "/loyalty/redemptions", body={"reward": "free_shipping", "key": f"k{n}"}
        )
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "reward redemptions for this customer" in answers[2].json()["detail"]
    assert int(answers[2].headers["retry-after"]) >= 1


async def test_a_shop_without_boomerang_is_refused(storefront: Storefront) -> None:
    other = storefront.sim.add_shop("not-installed").domain
    answer = await storefront.sim.storefront_proxy(
        other, "GET", "/loyalty", customer_id=None, transport=storefront.app
    )
    assert answer.status_code == 404
    assert answer.json()["error"] == "ShopNotServed"


async def test_the_storefront_path_reaches_the_app_through_the_simulator(
    storefront: Storefront,
) -> None:
    """A browser on the simulated storefront: /apps/boomerang/loyalty, logged in by the
    simulator's storefront cookie, is forwarded (signed, cookies stripped) to /proxy/loyalty."""
    await storefront.give(700)
    storefront.sim.webhooks.transport = storefront.app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=storefront.sim.app()), base_url="http://sim"
    ) as browser:
        browser.cookies.set(STOREFRONT_CUSTOMER_COOKIE, str(storefront.shopper_id))
        answer = await browser.get(f"/{storefront.domain}/apps/boomerang/loyalty?locale=fr")
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer"]["balance"] == 700


async def test_reaching_a_tier_gives_its_perk_code_once_shown_on_the_loyalty_page(
    storefront: Storefront, sim_settings: Settings
) -> None:
    silver = {**TIERS[0], "entry_reward": {"kind": "fixed_amount", "value": "3.00"}}
    sessions = storefront.resources.sessions
    await configure(sessions, storefront.shop_id, tiers=[silver])

    async def review_bonus(points: int, key: str) -> None:
        async with transaction(sessions, storefront.resources.queue) as session:
            await service.award_bonus(
                session,
                shop_id=storefront.shop_id,
                customer_id=storefront.customer_id,
                points=points,
                source_type="review",
                source_id=key,
                now=now(),
            )

    async def work() -> None:
        await run_worker_burst(
            sim_settings, http_transport=httpx.ASGITransport(app=storefront.sim.app())
        )

    await review_bonus(1200, "r1")
    await work()
    me = (await storefront.request("GET", "/loyalty")).json()["customer"]
    [perk] = me["perks"]
    assert perk["tier"]["key"] == "silver"
    assert perk["code"].startswith("VIP-")
    assert perk["code"] in storefront.sim.codes(storefront.domain)

    # The customer leaves the tier and reaches it again: no second code.
    await configure(sessions, storefront.shop_id, tiers=[{**silver, "threshold": "5000"}])
    async with sessions.begin() as session:
        await service.reevaluate_tiers(session, shop_id=storefront.shop_id, now=now())
    await configure(sessions, storefront.shop_id, tiers=[silver])
    await review_bonus(10, "r2")
    await work()
    again = (await storefront.request("GET", "/loyalty")).json()["customer"]
    assert again["tier"]["key"] == "silver"
    assert again["perks"] == me["perks"]
    assert [c for c in storefront.sim.codes(storefront.domain) if c.startswith("VIP-")] == [
        perk["code"]
    ]
