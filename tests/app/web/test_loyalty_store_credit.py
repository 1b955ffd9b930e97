"""Store credit rewards, end to end: the merchant turns them on in the admin once Shopify granted
the optional scopes (asked through App Bridge's Scopes API, which the simulated admin answers),
shoppers redeem them through the app proxy and the merchant through the admin, and the
simulator's store credit accounts are read back: one credit per redemption, however often the
request is retried and even when Shopify's answer is lost; a refused credit gives the points
back."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.loyalty import redemptions, service, store_credit
from app.loyalty.verify import verify
from app.main import create_app
from app.models import Customer, LoyaltyRedemption
from app.platform.resources import Resources
from app.settings import Settings
from devstore.server import Simulator
from devstore.state import StoreCreditAccount
from jobs.loyalty import complete_loyalty_redemption
from tests.app.loyalty.conftest import configure, now, position
from tests.support.commerce_payloads import paid_order, refund
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.support.webhooks import deliver
from tests.support.worker import job_context, run_worker_burst

REWARDS = [
    {"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5.00"},
    {"key": "credit_ten", "cost": 1000, "kind": "store_credit", "value": "10.00"},
]


@pytest.fixture
def sim_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "shopify_admin_url_template": "http://sim/{shop}",
            "customer_sync_flush_seconds": 86400.0,
        }
    )


@pytest.fixture
async def sim_app(sim_settings: Settings, sim: Simulator) -> AsyncIterator[FastAPI]:
    """The app reaching the simulator through its socket-like transport: an answer Shopify
    loses surfaces as the transport error a real connection gives."""
    application = create_app(sim_settings, http_transport=sim.transport())
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Shop:
    sim: Simulator
    domain: str
    id: int
    resources: Resources
    asgi: FastAPI
    app: httpx.AsyncClient
    customer_id: int
    shopper_id: int

    @property
    def auth(self) -> dict[str, str]:
        return bearer(mint_session_token(self.domain, user_id=77))

    async def grant_from_the_admin(self, scopes: list[str]) -> dict[str, Any]:
        """What App Bridge's `shopify.scopes.request` asks of the admin the app is framed in."""
        handle = self.domain.removesuffix(".myshopify.com")
        async with httpx.AsyncClient(
            transport=self.sim.transport(), base_url="http://sim"
        ) as admin:
            answer = await admin.post(
                f"/store/{handle}/scopes", json={"action": "request", "scopes": scopes}
            )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def redeem_on_the_storefront(self, reward: str, key: str) -> httpx.Response:
        return await self.sim.storefront_proxy(
            self.domain,
            "POST",
            "/loyalty/redemptions",
            customer_id=self.shopper_id,
            body=json.dumps({"reward": reward, "key": key}).encode(),
            headers={"content-type": "application/json"},
            transport=httpx.ASGITransport(app=self.asgi),
        )

    async def give(self, points: int, key: str = "gift") -> None:
        async with self.resources.sessions.begin() as session:
            await service.adjust_points(
                session,
                shop_id=self.id,
                customer_id=self.customer_id,
                delta=points,
                reason="welcome gift",
                actor=service.merchant_actor(1),
                key=key,
                now=now(),
            )

    def accounts(self) -> list[StoreCreditAccount]:
        return self.sim.store_credit_accounts(self.domain, self.shopper_id)

    async def redemption(self, redemption_id: int) -> LoyaltyRedemption:
        async with self.resources.sessions() as session:
            row = await session.get(LoyaltyRedemption, redemption_id)
        assert row is not None
        return row


@pytest.fixture
async def shop(sim: Simulator, sim_app: FastAPI, resources: Resources) -> AsyncIterator[Shop]:
    domain = sim.add_shop("credit-store").domain
    token = sim.install(domain, expiring=False).access_token
    created = await create_shop(resources.sessions, domain=domain, access_token=token)
    await configure(resources.sessions, created.id, enabled=True, rewards=REWARDS[:1])
    shopper = sim.add_customer(domain, "ada@example.com")
    async with resources.sessions.begin() as session:
        row = Customer(shop_id=created.id, shopify_id=shopper.id, email="ada@example.com")
        session.add(row)
        await session.flush()
        customer_id = row.id
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim_app), base_url="http://testserver"
    ) as client:
        yield Shop(
            sim=sim,
            domain=domain,
            id=created.id,
            resources=resources,
            asgi=sim_app,
            app=client,
            customer_id=customer_id,
            shopper_id=shopper.id,
        )


async def _turn_store_credit_on(shop: Shop) -> None:
    await shop.grant_from_the_admin(list(store_credit.SCOPES))
    saved = await shop.app.put(
        "/api/loyalty/settings",
        headers=shop.auth,
        json={"store_credit_enabled": True, "rewards": REWARDS},
    )
    assert saved.status_code == 200, saved.text


async def test_store_credit_turns_on_only_once_shopify_granted_its_scopes(shop: Shop) -> None:
    turn_on = {"store_credit_enabled": True, "rewards": REWARDS}
    refused = await shop.app.put("/api/loyalty/settings?locale=fr", headers=shop.auth, json=turn_on)
    assert refused.status_code == 400, refused.text
    [problem] = refused.json()["problems"]
    assert problem["field"] == "store_credit_enabled"
    assert "write_store_credit_account_transactions" in problem["message"]
    assert "acceptez la demande d'autorisation" in problem["message"]
    kept = await shop.app.get("/api/loyalty/settings", headers=shop.auth)
    assert kept.json()["store_credit_enabled"] is False
    assert kept.json()["store_credit_scopes"] == list(store_credit.SCOPES)

    granted = await shop.grant_from_the_admin(list(store_credit.SCOPES))
    assert granted["result"] == "granted-all"
    assert set(store_credit.SCOPES) <= set(granted["detail"]["granted"])
    saved = await shop.app.put("/api/loyalty/settings", headers=shop.auth, json=turn_on)
    assert saved.status_code == 200, saved.text
    assert saved.json()["store_credit_enabled"] is True
    # The scopes were read at Shopify, from the installation.
    assert any("currentAppInstallation" in r.query for r in shop.sim.store.requests)


async def test_a_shopper_redeems_store_credit_through_the_proxy_and_a_retry_credits_nothing_more(
    shop: Shop,
) -> None:
    await _turn_store_credit_on(shop)
    await shop.give(1500)
    page = await shop.sim.storefront_proxy(
        shop.domain,
        "GET",
        "/loyalty",
        customer_id=shop.shopper_id,
        transport=httpx.ASGITransport(app=shop.asgi),
    )
    offered = {r["key"]: r for r in page.json()["customer"]["rewards"]}
    assert offered["credit_ten"]["redeemable"] is True
    assert offered["credit_ten"]["label"] == "$10.00 of store credit"

    first = await shop.redeem_on_the_storefront("credit_ten", "click-1")
    again = await shop.redeem_on_the_storefront("credit_ten", "click-1")

    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "store_credit"
    assert first.json()["code"] is None
    assert "store credit was added" in first.json()["message"]
    assert again.json()["redemption_id"] == first.json()["redemption_id"]
    [account] = shop.accounts()
    assert (account.currency, account.balance) == ("USD", Decimal("10.00"))
    [credit] = account.transactions
    assert credit.expires_at is not None  # the reward's 90 days
    row = await shop.redemption(first.json()["redemption_id"])
    assert (row.status, row.store_credit_transaction_id) == ("issued", credit.gid)
    found = await position(shop.resources.sessions, shop.id, shop.shopper_id)
    assert found.ledger_sum == found.cached_balance == 500
    assert found.entries == [("adjust", "manual", 1500), ("redeem", "redemption", -1000)]
    async with shop.resources.sessions() as session:
        assert (await verify(session)).ok


async def test_a_lost_answer_is_found_at_shopify_and_never_credited_twice(shop: Shop) -> None:
    await _turn_store_credit_on(shop)
    await shop.give(2000)
    shop.sim.inject_faults(shop.domain, "lost")

    answer = await shop.redeem_on_the_storefront("credit_ten", "click-1")

    # Shopify made the credit, but its answer never came: spent, pending, not sent again.
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "pending"
    [account] = shop.accounts()
    assert account.balance == Decimal("10.00")
    credits_sent = [r for r in shop.sim.store.requests if "storeCreditAccountCredit(" in r.query]
    assert len(credits_sent) == 1

    redemption_id = answer.json()["redemption_id"]
    status = await complete_loyalty_redemption(job_context(shop.resources), shop.id, redemption_id)
    again = await complete_loyalty_redemption(job_context(shop.resources), shop.id, redemption_id)

    assert (status, again) == ("issued", "issued")
    [account] = shop.accounts()
    assert account.balance == Decimal("10.00")
    [credit] = account.transactions
    row = await shop.redemption(redemption_id)
    assert row.store_credit_transaction_id == credit.gid
    # The completion only looked: no second credit was asked for.
    credits_sent = [r for r in shop.sim.store.requests if "storeCreditAccountCredit(" in r.query]
    assert len(credits_sent) == 1

    # A second redemption of the same amount is a credit of its own, not the first one again.
    second = await shop.redeem_on_the_storefront("credit_ten", "click-2")
    assert second.status_code == 201, second.text
    [account] = shop.accounts()
    assert account.balance == Decimal("20.00")
    assert len(account.transactions) == 2
    async with shop.resources.sessions() as session:
        assert (await verify(session)).ok


async def test_a_credit_shopify_refuses_gives_the_points_back(shop: Shop) -> None:
    await _turn_store_credit_on(shop)
    await shop.give(1000)
    shop.sim.config.store_credit_limit = Decimal("5.00")
    try:
        refused = await shop.redeem_on_the_storefront("credit_ten", "click-1")
    finally:
        shop.sim.config.store_credit_limit = None

    assert refused.status_code == 409, refused.text
    assert refused.json()["status"] == "returned"
    assert "points were returned" in refused.json()["message"]
    assert shop.accounts() == []
    row = await shop.redemption(refused.json()["redemption_id"])
    assert row.return_reason == redemptions.CREDIT_REFUSED
    assert "CREDIT_LIMIT_EXCEEDED" in (row.last_error or "")
    found = await position(shop.resources.sessions, shop.id, shop.shopper_id)
    assert found.ledger_sum == found.cached_balance == 1000
    assert [kind for kind, _, _ in found.entries] == ["adjust", "redeem", "adjust"]


async def test_a_scope_revoked_since_gives_the_points_back(shop: Shop) -> None:
    await _turn_store_credit_on(shop)
    await shop.give(1000)
    shop.sim.revoke_scopes(shop.domain, store_credit.SCOPES)

    refused = await shop.redeem_on_the_storefront("credit_ten", "click-1")

    assert refused.status_code == 409, refused.text
    row = await shop.redemption(refused.json()["redemption_id"])
    assert row.return_reason == redemptions.CREDIT_NOT_GRANTED
    assert shop.accounts() == []
    found = await position(shop.resources.sessions, shop.id, shop.shopper_id)
    assert found.ledger_sum == 1000


async def test_the_merchant_redeems_store_credit_for_a_customer_from_the_admin(shop: Shop) -> None:
    await _turn_store_credit_on(shop)
    await shop.give(1200)
    path = f"/api/loyalty/customers/{shop.customer_id}/redemptions"

    made = await shop.app.post(
        path, headers=shop.auth, json={"reward": "credit_ten", "key": "form-1"}
    )
    retried = await shop.app.post(
        path, headers=shop.auth, json={"reward": "credit_ten", "key": "form-1"}
    )
    short = await shop.app.post(
        path, headers=shop.auth, json={"reward": "credit_ten", "key": "form-2"}
    )

    assert made.status_code == 201, made.text
    assert retried.json()["redemption_id"] == made.json()["redemption_id"]
    assert short.status_code == 409
    [account] = shop.accounts()
    assert account.balance == Decimal("10.00")
    page = (
        await shop.app.get(f"/api/loyalty/customers/{shop.customer_id}", headers=shop.auth)
    ).json()
    [listed] = page["redemptions"]
    assert listed["kind"] == "store_credit"
    assert listed["store_credit_transaction_id"] == account.transactions[0].gid
    assert page["spendable"] == 200
    figures = (await shop.app.get("/api/loyalty/liability", headers=shop.auth)).json()
    assert (figures["store_credits"], figures["store_credit_total"]) == (1, "10.00")
    timeline = await shop.app.get(
        f"/api/customers/{shop.customer_id}/timeline?locale=fr", headers=shop.auth
    )
    given = [e for e in timeline.json()["entries"] if e["kind"] == "loyalty_reward_given"]
    assert [e["kind_label"] for e in given] == ["Récompense de fidélité accordée"]
    assert given[0]["detail"]["store_credit_transaction_id"] == account.transactions[0].gid


async def test_store_credit_spent_on_an_order_refunded_in_full_gives_no_points_back(
    shop: Shop, sim_settings: Settings
) -> None:
    """Decided (app/loyalty/redemptions.py, `return_rewards_of_order`): Shopify refunds the
    store credit an order spent to the customer's store credit account, so the points that
    bought it stay spent; a reward code's come back (tests/app/loyalty/test_redemptions.py)."""
    await _turn_store_credit_on(shop)
    await shop.give(1500)
    redeemed = await shop.redeem_on_the_storefront("credit_ten", "click-1")
    assert redeemed.status_code == 201, redeemed.text
    body = paid_order(
        order_id=901, customer_id=shop.shopper_id, email="ada@example.com", subtotal="40.00"
    )
    assert (await deliver(shop.app, "orders/paid", body, shop=shop.domain)).status_code == 200
    back = refund(refund_id=9011, order_id=901, lines=("40.00",))
    assert (await deliver(shop.app, "refunds/create", back, shop=shop.domain)).status_code == 200
    await run_worker_burst(sim_settings, http_transport=shop.sim.transport())

    found = await position(shop.resources.sessions, shop.id, shop.shopper_id)
    assert found.entries == [
        ("adjust", "manual", 1500),
        ("redeem", "redemption", -1000),
        ("earn", "order", 40),
        ("clawback", "refund", -40),
    ]
    assert found.ledger_sum == found.cached_balance == 500
    row = await shop.redemption(redeemed.json()["redemption_id"])
    assert (row.status, row.return_reason) == ("issued", None)
    async with shop.resources.sessions() as session:
        assert (await verify(session)).ok
