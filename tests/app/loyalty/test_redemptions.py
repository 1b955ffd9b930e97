"""Rewards: points spent on a single-use code for the customer, created at the Shopify simulator
through the codes service. One debit per request, never more than the balance however many
requests race, and no debit left without its code (nor code without its debit), even when
Shopify fails half-way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.compliance.registry import DataSubject, export_customer_data
from app.loyalty import redeeming, redemptions, service
from app.loyalty.errors import NotEnoughPoints, RewardNotFound
from app.loyalty.verify import verify
from app.models import Customer, LoyaltyRedemption, PointsLedgerEntry, Shop
from app.platform.resources import Resources
from app.scenarios.config import InvalidSettings
from app.settings import Settings
from app.shopify.admin.client import RetryPolicy
from app.shopify.admin.discounts import ShopifyDiscounts
from app.shopify.admin.types import ShopRef
from devstore.server import Simulator
from jobs.loyalty import sweep_loyalty_redemptions
from tests.app.loyalty.conftest import configure, now, position
from tests.codes.conftest import admin_client
from tests.support.commerce_payloads import order, paid_order, refund
from tests.support.shops import create_shop
from tests.support.webhooks import deliver
from tests.support.worker import job_context, run_worker_burst

REWARDS = [
    {"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5.00"},
    {"key": "ten_percent", "cost": 1000, "kind": "percentage", "value": "10"},
    {"key": "free_shipping", "cost": 300, "kind": "free_shipping"},
]


@dataclass
class Store:
    sim: Simulator
    shop: ShopRef
    sessions: async_sessionmaker[AsyncSession]
    resources: Resources
    # Few, quick retries: a fault plan of a handful of 503s outlasts them.
    gateway: DiscountGateway
    customer_id: int
    customer_shopify_id: int

    async def redeem(self, reward: str, key: str) -> redeeming.RedemptionResult:
        return await redeeming.redeem(
            self.sessions,
            self.resources.queue,
            self.gateway,
            self.shop,
            customer_id=self.customer_id,
            reward_key=reward,
            request_key=key,
        )

    async def give(self, points: int) -> None:
        async with self.sessions.begin() as session:
            await service.adjust_points(
                session,
                shop_id=self.shop.id,
                customer_id=self.customer_id,
                delta=points,
                reason="welcome gift",
                actor=service.merchant_actor(1),
                key=f"gift-{points}",
                now=now(),
            )


@pytest.fixture
async def store(sim: Simulator, resources: Resources) -> AsyncIterator[Store]:
    domain = sim.add_shop("reward-store").domain
    token = sim.install(domain, expiring=False).access_token
    shop = await create_shop(resources.sessions, domain=domain, access_token=token)
    await configure(resources.sessions, shop.id, enabled=True, rewards=REWARDS)
    shopper = sim.add_customer(domain, "ada@example.com")
    async with resources.sessions.begin() as session:
        row = Customer(shop_id=shop.id, shopify_id=shopper.id, email="ada@example.com")
        session.add(row)
        await session.flush()
        customer_id = row.id

    async def tokens(_shop: ShopRef) -> str:
        return token

    async with httpx.AsyncClient(transport=sim.transport(), timeout=10) as http:
        client = admin_client(
            http, resources.redis, tokens, policy=RetryPolicy(attempts=2, base_delay=0.01)
        )
        yield Store(
            sim=sim,
            shop=ShopRef(shop.id, domain),
            sessions=resources.sessions,
            resources=resources,
            gateway=ShopifyDiscounts(client),
            customer_id=customer_id,
            customer_shopify_id=shopper.id,
        )


async def every_debit_has_its_code_at_shopify(store: Store) -> list[str]:
    """Each `redeem` entry's redemption is issued with a code the simulator holds for this
    customer alone, or returned with its points back; returns the issued codes."""
    async with store.sessions() as session:
        debits = list(
            await session.scalars(
                select(PointsLedgerEntry).where(PointsLedgerEntry.kind == "redeem")
            )
        )
        rows = {r.id: r for r in await session.scalars(select(LoyaltyRedemption))}
        returns = set(
            await session.scalars(
                select(PointsLedgerEntry.source_id).where(
                    PointsLedgerEntry.source_type == redemptions.RETURN_SOURCE
                )
            )
        )
    assert len(debits) == len(rows), "a redemption without its debit, or the reverse"
    at_shopify = {
        code.code: discount
        for discount in store.sim.discounts(store.shop.domain)
        for code in discount.codes
    }
    issued = []
    for debit in debits:
        row = rows[int(debit.source_id)]
        assert debit.delta == -row.cost
        if row.status == redemptions.RETURNED:
            assert debit.source_id in returns
            continue
        assert row.status == redemptions.ISSUED, row.status
        assert row.code is not None
        discount = at_shopify[row.code]
        assert discount.customer_ids == frozenset({store.customer_shopify_id})
        assert discount.usage_limit == 1
        issued.append(row.code)
    # And no code at Shopify that no redemption paid for.
    assert set(at_shopify) == set(issued)
    return issued


async def test_a_reward_debits_its_cost_and_hands_out_the_customers_code_once(
    store: Store,
) -> None:
    await store.give(1200)
    first = await store.redeem("five_off", "click-1")
    again = await store.redeem("five_off", "click-1")  # the browser sent it twice

    assert first.status == redemptions.ISSUED
    assert first.code is not None
    assert first.code.startswith("LOYAL-")
    assert again == first
    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    assert found.entries == [("adjust", "manual", 1200), ("redeem", "redemption", -500)]
    assert found.cached_balance == found.ledger_sum == 700
    [discount] = store.sim.discounts(store.shop.domain)
    assert discount.amount == Decimal("5.00")
    assert await every_debit_has_its_code_at_shopify(store) == [first.code]

    async with store.sessions() as session:
        exported = await export_customer_data(
            session, DataSubject(store.shop.id, store.customer_shopify_id, "ada@example.com")
        )
    [redeemed] = [item["redemption"] for item in exported["loyalty"] if "redemption" in item]
    assert (redeemed["code"], redeemed["cost"], redeemed["status"]) == (first.code, 500, "issued")

    shipping = await store.redeem("free_shipping", "click-2")
    assert shipping.status == redemptions.ISSUED
    kinds = {d.kind for d in store.sim.discounts(store.shop.domain)}
    assert kinds == {"basic", "free_shipping"}


async def test_a_french_shops_reward_code_has_a_french_title_and_a_retry_finds_it(
    store: Store,
) -> None:
    async with store.sessions.begin() as session:
        await session.execute(update(Shop).where(Shop.id == store.shop.id).values(locale="fr-CA"))
    await store.give(600)
    first = await store.redeem("five_off", "click-1")
    assert first.status == redemptions.ISSUED
    [discount] = store.sim.discounts(store.shop.domain)
    assert discount.title == "Récompense de fidélité five_off (500 points)"
    # The title is no part of the code's key: the same click, once the shop speaks English,
    # gives back the same code and creates none.
    async with store.sessions.begin() as session:
        await session.execute(update(Shop).where(Shop.id == store.shop.id).values(locale="en"))
    again = await store.redeem("five_off", "click-1")
    assert again.code == first.code
    assert len(store.sim.discounts(store.shop.domain)) == 1


async def test_twenty_concurrent_requests_spend_no_more_than_the_balance(store: Store) -> None:
    await store.give(2200)

    async def attempt(n: int) -> redeeming.RedemptionResult | None:
        try:
            return await store.redeem("five_off", f"tap-{n}")
        except NotEnoughPoints:
            return None

    results = await asyncio.gather(*(attempt(n) for n in range(20)))

    served = [r for r in results if r is not None]
    assert len(served) == 4  # 4 x 500 of 2,200
    assert all(r.status == redemptions.ISSUED for r in served)
    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    assert found.cached_balance == found.ledger_sum == 200
    codes = await every_debit_has_its_code_at_shopify(store)
    assert sorted(codes) == sorted(r.code for r in served if r.code)
    async with store.sessions() as session:
        report = await verify(session)
    assert (report.redemptions, report.differences) == (4, [])


async def test_verify_reports_a_redemption_that_drifted(store: Store) -> None:
    await store.give(1000)
    await store.redeem("five_off", "a")
    await store.redeem("five_off", "b")
    async with store.sessions.begin() as session:
        # Tampering no code path does: one says returned without its points back, the other
        # issued without a code.
        await session.execute(
            update(LoyaltyRedemption)
            .where(LoyaltyRedemption.request_key == "a")
            .values(status="returned")
        )
        await session.execute(
            update(LoyaltyRedemption).where(LoyaltyRedemption.request_key == "b").values(code=None)
        )
    async with store.sessions() as session:
        report = await verify(session)
    found = sorted(d.what for d in report.differences)
    assert found == [
        "redemption 1: returned, but 0 of its 500 points came back",
        "redemption 2: issued without a code or a store credit transaction",
    ]


async def test_shopify_failing_half_way_leaves_no_debit_without_its_code(
    store: Store, sim_settings: Settings
) -> None:
    await store.give(1000)
    store.sim.inject_faults(store.shop.domain, "503", count=4)

    result = await store.redeem("five_off", "during-outage")

    # The debit stands, the code is not there yet: the redemption is pending.
    assert result.status == redemptions.PENDING
    assert result.code is None
    assert store.sim.codes(store.shop.domain) == []
    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    assert found.cached_balance == 500
    # Shopify answers again: the completion job deferred with the debit creates the code.
    store.sim.clear_faults(store.shop.domain)
    await run_worker_burst(sim_settings, http_transport=store.sim.transport())

    [code] = await every_debit_has_its_code_at_shopify(store)
    async with store.sessions() as session:
        row = await session.scalar(select(LoyaltyRedemption))
    assert row is not None
    assert (row.status, row.code, row.attempts) == ("issued", code, 1)
    # The request retried after the outage gets that same code, and spends nothing more.
    again = await store.redeem("five_off", "during-outage")
    assert (again.status, again.code) == ("issued", code)
    assert store.sim.codes(store.shop.domain) == [code]


async def test_a_code_shopify_refuses_for_good_gives_the_points_back(store: Store) -> None:
    await store.give(600)
    # The customer is gone at Shopify: the code restricted to them is refused (userErrors).
    async with store.sessions.begin() as session:
        row = await session.get(Customer, store.customer_id)
        assert row is not None
        row.shopify_id = 999_999_999

    result = await store.redeem("five_off", "for-a-ghost")

    assert (result.status, result.code) == (redemptions.RETURNED, None)
    async with store.sessions() as session:
        entries = [
            (e.kind, e.source_type, e.delta)
            for e in await session.scalars(select(PointsLedgerEntry).order_by(PointsLedgerEntry.id))
        ]
    assert entries == [
        ("adjust", "manual", 600),
        ("redeem", "redemption", -500),
        ("adjust", "redemption_return", 500),
    ]
    assert store.sim.codes(store.shop.domain) == []


async def test_unknown_and_unaffordable_rewards_are_refused_and_store_credit_needs_turning_on(
    store: Store,
) -> None:
    await store.give(400)
    with pytest.raises(RewardNotFound) as unknown:
        await store.redeem("a_yacht", "k1")
    assert "a_yacht" in unknown.value.text.en
    assert "a_yacht" in unknown.value.text.fr
    with pytest.raises(NotEnoughPoints) as short:
        await store.redeem("five_off", "k2")
    assert short.value.text.en == "this reward costs 500 points; 400 are spendable now"
    assert (
        short.value.text.fr == "cette récompense coûte 500 points ; 400 sont utilisables maintenant"
    )

    credit = {"key": "credit", "cost": 100, "kind": "store_credit", "value": "1.00"}
    async with store.sessions.begin() as session:
        with pytest.raises(InvalidSettings) as refused:
            await service.update_settings(session, store.shop.id, {"rewards": [credit]})
    [problem] = refused.value.problems
    assert problem.field == "rewards.0.kind"
    assert "write_store_credit_account_transactions" in problem.what.en
    assert "read_store_credit_accounts" in problem.what.fr
    assert store.sim.codes(store.shop.domain) == []
    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    assert found.entries == [("adjust", "manual", 400)]


async def test_an_order_that_used_a_reward_gives_its_points_back_once_cancelled_or_refunded(
    store: Store, client: httpx.AsyncClient, sim_settings: Settings
) -> None:
    await store.give(1000)
    kept = await store.redeem("five_off", "kept")
    cancelled = await store.redeem("five_off", "cancelled")
    domain = store.shop.domain

    async def order_with(code: str | None, order_id: int) -> None:
        body = paid_order(
            order_id=order_id,
            customer_id=store.customer_shopify_id,
            email="ada@example.com",
            subtotal="40.00",
        )
        body["discount_codes"] = [{"code": code, "amount": "5.00", "type": "fixed_amount"}]
        assert (await deliver(client, "orders/paid", body, shop=domain)).status_code == 200

    assert kept.code is not None
    assert cancelled.code is not None
    await order_with(kept.code, 801)
    await order_with(cancelled.code, 802)
    # A partial refund of the first order: its reward stays spent.
    partial = refund(refund_id=8011, order_id=801, lines=("10.00",))
    assert (await deliver(client, "refunds/create", partial, shop=domain)).status_code == 200
    # The second is cancelled: its reward's 500 points come back (and its own earn goes).
    body = order(
        "orders/cancelled",
        order_id=802,
        customer_id=store.customer_shopify_id,
        email="ada@example.com",
        subtotal="40.00",
    )
    body["discount_codes"] = [{"code": cancelled.code, "amount": "5.00", "type": "fixed_amount"}]
    assert (await deliver(client, "orders/cancelled", body, shop=domain)).status_code == 200
    await run_worker_burst(sim_settings, http_transport=store.sim.transport())
    # Replayed: nothing more comes back.
    assert (await deliver(client, "orders/cancelled", body, shop=domain)).status_code == 200
    await run_worker_burst(sim_settings, http_transport=store.sim.transport())

    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    returned = [e for e in found.entries if e[1] == redemptions.RETURN_SOURCE]
    assert returned == [("adjust", redemptions.RETURN_SOURCE, 500)]
    async with store.sessions() as session:
        statuses = {
            r.request_key: (r.status, r.return_reason)
            for r in await session.scalars(select(LoyaltyRedemption))
        }
    assert statuses == {
        "kept": ("issued", None),
        "cancelled": ("returned", redemptions.ORDER_REFUNDED),
    }
    assert found.cached_balance == found.ledger_sum
    # The rest of the first order is refunded: now its reward comes back too.
    rest = refund(refund_id=8012, order_id=801, lines=("30.00",))
    assert (await deliver(client, "refunds/create", rest, shop=domain)).status_code == 200
    await run_worker_burst(sim_settings, http_transport=store.sim.transport())
    found = await position(store.sessions, store.shop.id, store.customer_shopify_id)
    returned = [e for e in found.entries if e[1] == redemptions.RETURN_SOURCE]
    assert len(returned) == 2
    assert found.cached_balance == found.ledger_sum == 1000


async def test_the_sweeper_completes_a_redemption_whose_job_redis_lost(store: Store) -> None:
    await store.give(500)
    store.sim.inject_faults(store.shop.domain, "502", count=4)
    assert (await store.redeem("five_off", "lost")).status == redemptions.PENDING
    store.sim.clear_faults(store.shop.domain)
    await store.resources.redis.flushdb()  # the deferred completion job with it
    sweep = job_context(store.resources, "cron:loyalty-redemptions")

    # Too recent for the sweeper: its job may still be on its way.
    assert await sweep_loyalty_redemptions(sweep) == 0
    async with store.sessions.begin() as session:
        await session.execute(
            update(LoyaltyRedemption).values(created_at=now() - timedelta(minutes=3))
        )
    assert await sweep_loyalty_redemptions(sweep) == 1

    [code] = await every_debit_has_its_code_at_shopify(store)
    assert store.sim.codes(store.shop.domain) == [code]
    assert await sweep_loyalty_redemptions(sweep) == 0
