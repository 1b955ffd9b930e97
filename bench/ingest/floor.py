"""The floor: the least a webhook receiver can do. Raw ASGI, HMAC over the body, ONE asyncpg
insert (the same INSERT…SELECT…ON CONFLICT as Boomerang's), ONE Redis push. No framework, no
ORM, no job metadata. Boomerang's receiver is measured against it.

uvicorn bench.ingest.floor:app --workers 2  (DATABASE_URL, REDIS_URL, SHOPIFY_API_SECRET)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

import asyncpg
from redis.asyncio import Redis

SECRET = os.environ["SHOPIFY_API_SECRET"].encode()
INSERT = """
INSERT INTO webhook_events (shop_id, topic, webhook_id, event_id, triggered_at, api_version,
                            body, status, attempts)
SELECT shops.id, $2, $3, $4, NULL, $5, $6, 'received', 0 FROM shops WHERE shops.domain = $1
ON CONFLICT (shop_id, webhook_id) DO NOTHING RETURNING id
"""

state: dict[str, Any] = {}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
                state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
                state["redis"] = Redis.from_url(os.environ["REDIS_URL"])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["pool"].close()
                await state["redis"].aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    expected = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest())
    status = 401
    if hmac.compare_digest(expected, headers.get("x-shopify-hmac-sha256", "").encode()):
        row_id = await state["pool"].fetchval(
            INSERT,
            headers.get("x-shopify-shop-domain", ""),
            headers.get("x-shopify-topic", ""),
            headers.get("x-shopify-webhook-id", ""),
            headers.get("x-shopify-event-id"),
            headers.get("x-shopify-api-version"),
            body.decode("utf-8", errors="replace"),
        )
        if row_id is not None:
            await state["redis"].lpush("floor:queue", row_id)
        status = 200
    await send(
        {"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]}
    )
    await send({"type": "http.response.body", "body": b""})
