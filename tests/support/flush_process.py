"""A customer-sync flush in a process of its own, for kill tests: it flushes one shop against a
simulator on a real socket, with a one-second flush lock (so a test need not wait long for the
lock of a killed flush to lapse).

Run: python -m tests.support.flush_process REDIS_URL SIMULATOR_URL SHOP_ID SHOP_DOMAIN TOKEN"""

from __future__ import annotations

import asyncio
import sys

import httpx
from redis.asyncio import Redis

from app.shopify.admin.client import AdminClient
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import flush_customer_sync
from app.shopify.throttle import ShopThrottle


async def flush(redis_url: str, base_url: str, shop: ShopRef, token: str) -> None:
    redis = Redis.from_url(redis_url)

    async def tokens(_shop: ShopRef) -> str:
        return token

    async with httpx.AsyncClient(timeout=30) as http:
        client = AdminClient(
            http,
            admin_url=lambda domain: f"{base_url}/{domain}",
            api_version="2026-10",
            tokens=tokens,
            throttle=ShopThrottle(redis),
        )
        await flush_customer_sync(redis, client, shop, lock_seconds=1.0)
    await redis.aclose()


def main() -> None:
    redis_url, base_url, shop_id, domain, token = sys.argv[1:6]
    asyncio.run(flush(redis_url, base_url, ShopRef(int(shop_id), domain), token))


if __name__ == "__main__":
    main()
