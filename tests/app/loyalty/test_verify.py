"""`boomerang loyalty verify`, run as an operator runs it: it says what it checked, passes on a
ledger built by webhooks, and exits non-zero naming the customer when a cached balance drifted
or the ledger no longer matches the order history."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import LoyaltyAccount, LoyaltyGuestPoints, Order, Refund
from app.settings import Settings
from tests.app.loyalty.conftest import customer_id
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.commerce_payloads import order, paid_order, refund
from tests.support.webhooks import deliver_and_process

ADA, GRACE = 8_000_001, 8_000_002


def run_verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        SHOPIFY_API_KEY=TEST_API_KEY,
        SHOPIFY_API_SECRET=TEST_API_SECRET,
        TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY,
        DATABASE_URL=settings.database,
        REDIS_URL=settings.redis,
    )
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "loyalty", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def build_history(client: httpx.AsyncClient, settings: Settings) -> None:
    for order_id, customer, subtotal in (
        (1, ADA, "120.00"),
        (2, ADA, "80.00"),
        (3, GRACE, "45.50"),
    ):
        email = f"{customer}@example.com"
        body = paid_order(order_id=order_id, customer_id=customer, email=email, subtotal=subtotal)
        await deliver_and_process(client, settings, "orders/paid", body)
    await deliver_and_process(
        client, settings, "refunds/create", refund(refund_id=11, order_id=1, lines=("30.00",))
    )
    cancelled = order(
        "orders/cancelled",
        order_id=3,
        customer_id=GRACE,
        email=f"{GRACE}@example.com",
        subtotal="45.50",
        financial_status="refunded",
    )
    await deliver_and_process(client, settings, "orders/cancelled", cancelled)


async def test_verify_passes_on_a_ledger_built_by_webhooks(
    client: httpx.AsyncClient, settings: Settings, program: int
) -> None:
    await build_history(client, settings)

    done = await asyncio.to_thread(run_verify, settings)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 customers, 5 ledger entries, 3 orders that earned points" in done.stdout
    assert "no differences" in done.stdout


async def test_verify_fails_on_a_drifted_balance_and_on_history_the_ledger_missed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await build_history(client, settings)
    ada = await customer_id(sessions, program, ADA)
    async with sessions.begin() as session:
        await session.execute(
            update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == ada)
            .values(balance=LoyaltyAccount.balance + 5)
        )
        # A refund of order 2 the ledger never heard of (as if its listener had been skipped).
        await session.execute(
            insert(Refund).values(
                shop_id=program,
                shopify_id=21,
                order_shopify_id=2,
                amount=40,
                currency="USD",
                line_items=[{"line_item_id": 20, "quantity": 1, "subtotal": "40.00"}],
            )
        )
        # Guest points held under a known customer's email, never credited.
        order_3 = await session.scalar(select(Order.id).where(Order.shopify_id == 3))
        await session.execute(
            insert(LoyaltyGuestPoints).values(
                shop_id=program,
                order_id=order_3,
                email=f"{GRACE}@example.com",
                points=7,
                amount=7,
                rate=1,
                available_at=datetime.now(UTC),
            )
        )
    grace = await customer_id(sessions, program, GRACE)

    done = await asyncio.to_thread(run_verify, settings)

    assert done.returncode == 1
    assert f"shop {program} customer {ada}: cached balance 175 but the ledger sums to 170" in (
        done.stdout
    )
    assert "0 points taken back, but its refunds returned 40.00 of 80.0000: 40 expected" in (
        done.stdout
    )
    assert (
        f"shop {program} customer {grace}: guest points of order {order_3} are held under this "
        "customer's email but were never credited"
    ) in done.stdout
    assert "3 differences" in done.stdout
