"""A shop with the loyalty program on, and reading its ledger and balances back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service
from app.models import Customer, LoyaltyAccount, PointsLedgerEntry
from app.settings import Settings
from tests.support.shops import create_shop
from tests.support.webhooks import SHOP


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loyalty changes request a write-back to Shopify (a flush job at the end of the sync
    window). These tests reach no Shopify: a day-long window keeps that flush beyond the test
    worker's horizon. tests/app/loyalty/test_storefront_sync.py sets a short one."""
    return settings.model_copy(update={"customer_sync_flush_seconds": 86400.0})


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> int:
    return (await create_shop(sessions, domain=SHOP)).id


async def configure(sessions: async_sessionmaker[AsyncSession], shop_id: int, **patch: Any) -> None:
    async with sessions.begin() as session:
        await service.update_settings(session, shop_id, patch)


@pytest.fixture
async def program(sessions: async_sessionmaker[AsyncSession], shop: int) -> int:
    """The shop, its loyalty program on with the default rules (1 point per 1 spent)."""
    await configure(sessions, shop, enabled=True)
    return shop


@dataclass(frozen=True)
class Position:
    cached_balance: int
    cached_pending: int
    ledger_sum: int
    entries: list[tuple[str, str, int]]  # (kind, source_type, delta), in order


async def customer_id(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, shopify_id: int
) -> int:
    async with sessions.begin() as session:
        found = await session.scalar(
            select(Customer.id).where(
                Customer.shop_id == shop_id, Customer.shopify_id == shopify_id
            )
        )
    assert found is not None, f"no customer {shopify_id}"
    return found


async def position(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, shopify_customer_id: int
) -> Position:
    """The customer's cached balance and their ledger, read from the tables."""
    customer = await customer_id(sessions, shop_id, shopify_customer_id)
    async with sessions.begin() as session:
        account = await session.scalar(
            select(LoyaltyAccount).where(
                LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer
            )
        )
        entries = list(
            (
                await session.execute(
                    select(PointsLedgerEntry)
                    .where(
                        PointsLedgerEntry.shop_id == shop_id,
                        PointsLedgerEntry.customer_id == customer,
                    )
                    .order_by(PointsLedgerEntry.id)
                )
            ).scalars()
        )
    return Position(
        cached_balance=account.balance if account else 0,
        cached_pending=account.pending if account else 0,
        ledger_sum=sum(e.delta for e in entries),
        entries=[(e.kind, e.source_type, e.delta) for e in entries],
    )


def now() -> datetime:
    return datetime.now(UTC)
