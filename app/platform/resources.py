"""The process context, built once at start-up (web lifespan, worker startup) and closed at
shutdown: the database engine and sessions (wired with the catalog's scenarios), Redis, the
HTTP client, the queue, the token cipher and the messaging config. Small factories hand out
the per-unit services built over them (a transaction that sends its deferred jobs, the
Admin API token source)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.engine import create_engine
from app.errors import ShopTokenInvalid
from app.inbox.backlog import InboxChecks
from app.messaging.config import MessagingConfig
from app.platform.composition import PLATFORM, Platform
from app.queue.arq_backend import ArqQueue
from app.queue.deferred import transaction
from app.queue.interface import JobQueue
from app.reviews.storage import PhotoStore, photo_store
from app.settings import Settings
from app.shopify.admin.types import ShopRef, ShopTokens
from app.shopify.customer_sync import CustomerSyncWriter
from app.shopify.token_cipher import TokenCipher
from app.shopify.tokens import access_token_after_rejection, access_token_for


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    queue: JobQueue
    redis: Redis
    http: httpx.AsyncClient
    # Built once: deriving the messaging keys and the Fernet keys is not free.
    cipher: TokenCipher
    messaging: MessagingConfig
    # The catalog's scenarios, wired (the sessions carry it).
    platform: Platform = PLATFORM
    # The Admin API's token source.
    shopify_tokens: ShopTokens | None = None
    # Where review photos' bytes live (local disk or S3, by the settings).
    review_photos: PhotoStore | None = None
    _customer_writer: CustomerSyncWriter | None = None

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One transaction whose deferred jobs are sent once it commits."""
        return transaction(self.sessions, self.queue, self.customer_writer)

    @property
    def customer_writer(self) -> CustomerSyncWriter:
        """Where a transaction's deferred customer writes go once it commits (one per
        process: it remembers the flushes it saw queued)."""
        if self._customer_writer is None:
            self._customer_writer = CustomerSyncWriter(
                self.redis, self.queue, flush_every=self.settings.customer_sync_flush_seconds
            )
        return self._customer_writer

    async def close(self) -> None:
        await self.http.aclose()
        await self.queue.close()
        await self.redis.aclose()
        await self.engine.dispose()


async def build_resources(
    settings: Settings,
    *,
    http_transport: httpx.AsyncBaseTransport | None = None,
    platform: Platform = PLATFORM,
) -> Resources:
    engine = create_engine(settings.database, pool_size=settings.db_pool_size)
    queue: JobQueue = ArqQueue(settings.redis, fair=settings.queue_fair)
    redis = Redis.from_url(settings.redis, socket_timeout=2, socket_connect_timeout=1)
    http = httpx.AsyncClient(
        transport=http_transport,
        timeout=httpx.Timeout(10.0, connect=2.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
    )
    resources = Resources(
        settings=settings,
        engine=engine,
        sessions=platform.sessionmaker(engine, inbox=_inbox_checks(settings)),
        queue=queue,
        redis=redis,
        http=http,
        cipher=TokenCipher.from_settings(settings),
        messaging=MessagingConfig.from_settings(settings),
        platform=platform,
        review_photos=photo_store(settings),
    )
    resources.shopify_tokens = _stored_tokens(resources)
    return resources


def _inbox_checks(settings: Settings) -> InboxChecks:
    return InboxChecks(
        read_limit=settings.inbox_check_limit,
        recheck_after=timedelta(seconds=settings.inbox_recheck_seconds),
    )


def _stored_tokens(resources: Resources) -> ShopTokens:
    """The Admin API client's tokens: the shop's stored offline token (refreshed ahead of its
    expiry). A 401 gets one refresh and one retry; when no refresh helps, the token is marked
    invalid so the shop's work stops until it is re-authorized."""

    async def provider(shop: ShopRef) -> str:
        return await access_token_for(resources, shop.id)

    async def on_unauthorized(shop: ShopRef, rejected: str) -> bool:
        try:
            await access_token_after_rejection(resources, shop.id, rejected)
        except ShopTokenInvalid:
            return False  # access_token_after_rejection marked it invalid
        return True

    return ShopTokens(provider=provider, on_unauthorized=on_unauthorized)
