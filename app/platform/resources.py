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
from app.shopify.admin.types import ShopTokens


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
    return Resources(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        queue=queue,
        redis=redis,
        http=http,
    )
