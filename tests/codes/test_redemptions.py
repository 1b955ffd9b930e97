"""Redemptions come from Shopify's orders webhooks: a shopper checks out with one of our codes
at the simulated storefront, Shopify signs and delivers orders/create and orders/paid to POST
/webhooks, the worker processes them, and the code row records its order and amount."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.codes import pools
from app.codes.offers import CodePurpose, Recipient
from app.codes.service import issue_code
from app.models import Order, WebhookEvent
from app.models.discount_codes import DiscountCode, PoolCode
from app.platform.resources import Resources
from app.settings import Settings
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef
from devstore.server import Simulator
from tests.app.shopify.test_tokens import SHOP, installed
from tests.codes.conftest import offer
from tests.support.worker import run_worker_burst


@pytest.fixture
def shopify(sim: Simulator, sim_app: FastAPI) -> Simulator:
    """The simulator, delivering its webhooks into the app under test."""
    sim.webhooks.transport = httpx.ASGITransport(app=sim_app)
    return sim


async def _order(resources: Resources, shopify_id: int) -> Order:
    async with resources.sessions() as session:
        order = await session.scalar(select(Order).where(Order.shopify_id == shopify_id))
    assert order is not None
    return order


async def test_single_and_pool_codes_record_the_order_that_redeemed_them(
    resources: Resources, shopify: Simulator, sim_settings: Settings
) -> None:
    shop = ShopRef(await installed(resources, shopify), SHOP)
    gateway = discount_gateway(resources)
    ana = shopify.add_customer(SHOP, "ana@example.com")
    single = await issue_code(
        resources.sessions,
        gateway,
        shop,
        purpose=CodePurpose.CART_RECOVERY,
        idempotency_key="cart:ana",
        offer=offer(minimum_subtotal=None),
        recipient=Recipient(customer_gid=ana.gid, email=ana.email),
        prefix="BACK",
    )
    pool = await pools.ensure_pool(
        resources.sessions,
        gateway,
        shop,
        scenario="winback",
        offer=offer(minimum_subtotal=None),
        prefix="WB",
        target_size=20,
        low_watermark=5,
    )
    await pools.refill_pool(resources.sessions, gateway, shop, pool.id, poll_interval=0.01)
    async with resources.sessions.begin() as session:
        claim = await pools.claim_code(session, shop.id, pool.id, "winback:bo")
    assert claim is not None

    by_ana = await shopify.checkout(SHOP, email="ana@example.com", discount_code=single.code)
    by_bo = await shopify.checkout(SHOP, email="bo@example.com", discount_code=claim.code.lower())
    deliveries = shopify.webhooks.deliveries
    assert [(d.topic, d.delivered) for d in deliveries] == [
        ("orders/create", True),
        ("orders/paid", True),
    ] * 2
    await run_worker_burst(sim_settings, http_transport=shopify.transport())

    async with resources.sessions() as session:
        statuses = set(await session.scalars(select(WebhookEvent.status)))
        code_row = await session.scalar(select(DiscountCode))
        pool_row = await session.scalar(select(PoolCode).where(PoolCode.code == claim.code))
    assert statuses == {"processed"}
    assert code_row is not None
    assert pool_row is not None
    for row, placed in ((code_row, by_ana), (pool_row, by_bo)):
        [used] = placed.order["discount_codes"]
        order = await _order(resources, placed.order["id"])
        assert row.redeemed_order_id == order.id
        assert row.redeemed_amount == Decimal(used["amount"]) > 0
        assert row.redeemed_at == datetime.fromisoformat(placed.order["processed_at"])
    # Nothing else was marked: the other pool codes wait for their shoppers.
    async with resources.sessions() as session:
        redeemed = list(
            await session.scalars(select(PoolCode.code).where(PoolCode.redeemed_at.is_not(None)))
        )
    assert redeemed == [claim.code]
