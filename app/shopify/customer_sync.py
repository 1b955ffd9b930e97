"""Loyalty metafields and segment tags written back to Shopify customers, coalesced.

Writes are requested into per-shop Redis hashes (latest value wins: a customer's points
changing 1,000 times in a minute leaves one pending value) and flushed by a job at most every
`flush_every` seconds: metafieldsSet in batches of 25 (Shopify's maximum per call), tagsAdd /
tagsRemove once per customer and direction.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import structlog
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from redis.asyncio import Redis

from app.queue import JobQueue
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

FLUSH_JOB = "flush_customer_sync"
METAFIELDS_PER_CALL = 25  # metafieldsSet's documented maximum
LOYALTY_NAMESPACE = "$app:loyalty"
DEFAULT_FLUSH_EVERY = 10.0
_SEP = "\x1f"

METAFIELDS_SET = Operation(
    name="MetafieldsSet",
    document=(
        "mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {"
        " metafieldsSet(metafields: $metafields) {"
        " metafields { key } userErrors { field code message elementIndex } } }"
    ),
    cost=10,
)
TAGS_ADD = Operation(
    name="TagsAdd",
    document=(
        "mutation TagsAdd($id: ID!, $tags: [String!]!) {"
        " tagsAdd(id: $id, tags: $tags) { userErrors { field message } } }"
    ),
    cost=10,
)
TAGS_REMOVE = Operation(
    name="TagsRemove",
    document=(
        "mutation TagsRemove($id: ID!, $tags: [String!]!) {"
        " tagsRemove(id: $id, tags: $tags) { userErrors { field message } } }"
    ),
    cost=10,
)

# Take everything pending for a shop in one atomic step: requests arriving during the flush
# land in fresh hashes and wait for the next one.
_TAKE = """
local m = redis.call('HGETALL', KEYS[1])
local t = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2])
return {m, t}
"""


class _UserError(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    field: list[str] | None = None
    code: str | None = None
    message: str


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    user_errors: list[_UserError]


@dataclass(frozen=True)
class SyncReport:
    metafields_written: int
    metafield_calls: int
    tag_calls: int
    rejected: int


def _metafields_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:metafields"


def _tags_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:tags"


def flush_job_id(shop_id: int, now: float, every: float) -> tuple[str, datetime]:
    """One flush per shop per window of `every` seconds, run at the window's end."""
    window = math.floor(now / every)
    return f"{FLUSH_JOB}:{shop_id}:{window}", datetime.fromtimestamp((window + 1) * every, UTC)


async def _schedule(queue: JobQueue, shop_id: int, every: float) -> None:
    job_id, run_at = flush_job_id(shop_id, time.time(), every)
    await queue.enqueue(FLUSH_JOB, shop_id, job_id=job_id, defer_until=run_at)


async def request_metafield(
    redis: Redis,
    queue: JobQueue,
    shop_id: int,
    owner_gid: str,
    *,
    namespace: str,
    key: str,
    type: str,
    value: str,
    flush_every: float = DEFAULT_FLUSH_EVERY,
) -> None:
    field = _SEP.join((owner_gid, namespace, key))
    await redis.hset(  # type: ignore[misc]
        _metafields_key(shop_id), field, json.dumps({"type": type, "value": value})
    )
    await _schedule(queue, shop_id, flush_every)


async def request_loyalty(
    redis: Redis,
    queue: JobQueue,
    shop_id: int,
    customer_gid: str,
    *,
    points: int | None = None,
    tier: str | None = None,
    flush_every: float = DEFAULT_FLUSH_EVERY,
) -> None:
    """The customer's loyalty points and tier as the storefront should see them."""
    if points is not None:
        await request_metafield(
            redis,
            queue,
            shop_id,
            customer_gid,
            namespace=LOYALTY_NAMESPACE,
            key="points",
            type="number_integer",
            value=str(int(points)),
            flush_every=flush_every,
        )
    if tier is not None:
        await request_metafield(
            redis,
            queue,
            shop_id,
            customer_gid,
            namespace=LOYALTY_NAMESPACE,
            key="tier",
            type="single_line_text_field",
            value=tier,
            flush_every=flush_every,
        )


async def request_tags(
    redis: Redis,
    queue: JobQueue,
    shop_id: int,
    customer_gid: str,
    *,
    add: tuple[str, ...] = (),
    remove: tuple[str, ...] = (),
    flush_every: float = DEFAULT_FLUSH_EVERY,
) -> None:
    """Segment tags (e.g. `vip-gold`) to add or remove; the latest request per tag wins."""
    changes = {_SEP.join((customer_gid, tag)): "add" for tag in add}
    changes.update({_SEP.join((customer_gid, tag)): "remove" for tag in remove})
    if changes:
        await redis.hset(_tags_key(shop_id), mapping=changes)  # type: ignore[misc]
        await _schedule(queue, shop_id, flush_every)


async def flush_customer_sync(redis: Redis, client: AdminClient, shop: ShopRef) -> SyncReport:
    """Write everything pending for the shop. Whatever is not written when a call fails goes
    back into the hashes (without overwriting newer requests) before the error propagates."""
    take = redis.register_script(_TAKE)
    raw = cast(list[list[bytes]], await take(keys=[_metafields_key(shop.id), _tags_key(shop.id)]))
    metafields = _pairs(raw[0])
    tags = _pairs(raw[1])
    pending_metafields = dict(metafields)
    pending_tags = dict(tags)
    written = calls = tag_calls = rejected = 0
    try:
        items = list(metafields.items())
        for start in range(0, len(items), METAFIELDS_PER_CALL):
            batch = items[start : start + METAFIELDS_PER_CALL]
            inputs: list[dict[str, Any]] = []
            for field, encoded in batch:
                owner, namespace, key = field.split(_SEP)
                body = json.loads(encoded)
                inputs.append(
                    {
                        "ownerId": owner,
                        "namespace": namespace,
                        "key": key,
                        "type": body["type"],
                        "value": body["value"],
                    }
                )
            data = await client.execute(shop, METAFIELDS_SET, {"metafields": inputs})
            calls += 1
            payload = _Payload.model_validate(data["metafieldsSet"])
            if payload.user_errors:
                # Invalid input never becomes valid by retrying: log it and move on.
                rejected += len(payload.user_errors)
                log.warning(
                    "metafieldsSet refused values",
                    shop=shop.domain,
                    errors=[e.message for e in payload.user_errors][:5],
                )
            else:
                written += len(batch)
            for field, _ in batch:
                pending_metafields.pop(field, None)
        by_customer: dict[tuple[str, str], list[str]] = {}
        for field, action in tags.items():
            owner, tag = field.split(_SEP)
            by_customer.setdefault((owner, action), []).append(tag)
        for (owner, action), names in by_customer.items():
            operation = TAGS_ADD if action == "add" else TAGS_REMOVE
            data = await client.execute(shop, operation, {"id": owner, "tags": sorted(names)})
            tag_calls += 1
            payload = _Payload.model_validate(data["tagsAdd" if action == "add" else "tagsRemove"])
            if payload.user_errors:
                rejected += len(payload.user_errors)
            for tag in names:
                pending_tags.pop(_SEP.join((owner, tag)), None)
    except BaseException:
        await _put_back(redis, shop.id, pending_metafields, pending_tags)
        raise
    return SyncReport(written, calls, tag_calls, rejected)


async def _put_back(
    redis: Redis, shop_id: int, metafields: dict[str, str], tags: dict[str, str]
) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        for field, value in metafields.items():
            pipe.hsetnx(_metafields_key(shop_id), field, value)
        for field, value in tags.items():
            pipe.hsetnx(_tags_key(shop_id), field, value)
        await pipe.execute()


def _pairs(flat: list[bytes]) -> dict[str, str]:
    return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}
