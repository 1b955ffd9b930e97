"""Webhook tests share one Redis db per run: empty it around each test, since event ids (and
so job ids) restart with every truncated database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis


@pytest.fixture(autouse=True)
async def empty_redis(redis_url: str) -> AsyncIterator[None]:
    client = Redis.from_url(redis_url)
    await client.flushdb()
    yield
    await client.flushdb()
    await client.aclose()
