"""The composition root: process-wide resources built once at start-up, closed at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import create_engine, create_sessionmaker
from app.queue.arq_backend import ArqQueue
from app.queue.interface import JobQueue
from app.settings import Settings
from app.shopify.admin.types import ShopRef, ShopTokens


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue
    redis: Redis
    http: httpx.AsyncClient
    # The Admin API's token source; the integrator plugs in the auth branch's provider.
    shopify_tokens: ShopTokens | None = None

    async def close(self) -> None:
        await self.http.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.engine.dispose()


async def build_resources(
    settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> Resources:
    engine = create_engine(settings.database, pool_size=settings.db_pool_size)
    queue: JobQueue = ArqQueue(settings.redis)
    redis = Redis.from_url(settings.redis, socket_timeout=2, socket_connect_timeout=1)
    http = httpx.AsyncClient(
        transport=http_transport,
        timeout=httpx.Timeout(10.0, connect=2.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )
    resources = Resources(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        queue=queue,
        redis=redis,
        http=http,
    )
    resources.shopify_tokens = _stored_tokens(resources)
    return resources


def _stored_tokens(resources: Resources) -> ShopTokens:
    """The Admin API client's tokens: the shop's stored offline token (refreshed ahead of its
    expiry). A 401 gets one refresh and one retry; when no refresh helps, the token is marked
    invalid so the shop's work stops until it is re-authorized."""
    from app.errors import ShopTokenInvalid
    from app.shopify.tokens import access_token_after_rejection, access_token_for

    async def provider(shop: ShopRef) -> str:
        return await access_token_for(resources, shop.id)

    async def on_unauthorized(shop: ShopRef, rejected: str) -> bool:
        try:
            await access_token_after_rejection(resources, shop.id, rejected)
        except ShopTokenInvalid:
            return False  # access_token_after_rejection marked it invalid
        return True

    return ShopTokens(provider=provider, on_unauthorized=on_unauthorized)
