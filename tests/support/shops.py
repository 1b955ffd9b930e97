"""Typed factories for installed shops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from app.shopify.token_cipher import TokenCipher
from tests.conftest import TEST_FERNET_KEY


async def create_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    domain: str = "acme.myshopify.com",
    access_token: str | None = "shpat_test_token",
    scopes: str = (
        "read_customers,write_customers,read_orders,write_discounts,read_discounts,read_products"
    ),
    uninstalled: bool = False,
) -> Shop:
    cipher = TokenCipher([TEST_FERNET_KEY])
    now = datetime.now(UTC)
    shop = Shop(
        domain=domain,
        access_token_encrypted=cipher.encrypt(access_token) if access_token else None,
        access_token_expires_at=now + timedelta(hours=1) if access_token else None,
        scopes=scopes,
        installed_at=now,
        uninstalled_at=now if uninstalled else None,
    )
    async with sessions.begin() as session:
        session.add(shop)
    return shop
