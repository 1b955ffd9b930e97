"""Re-encrypt every stored Shopify token with the newest TOKEN_ENCRYPTION_KEYS key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from app.shopify.token_cipher import TokenCipher


async def rotate_token_keys(sessions: async_sessionmaker[AsyncSession], cipher: TokenCipher) -> int:
    """Shops whose tokens were re-encrypted. Each row is locked while rewritten, so a refresh
    running at the same time is never overwritten with its older pair."""
    async with sessions.begin() as session:
        ids = list(await session.scalars(select(Shop.id).order_by(Shop.id)))
    rotated = 0
    for shop_id in ids:
        async with sessions.begin() as session:
            shop = await session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
            if shop is None:
                continue
            if shop.access_token_encrypted:
                shop.access_token_encrypted = cipher.rotate(shop.access_token_encrypted)
            if shop.refresh_token_encrypted:
                shop.refresh_token_encrypted = cipher.rotate(shop.refresh_token_encrypted)
            rotated += 1
    return rotated
