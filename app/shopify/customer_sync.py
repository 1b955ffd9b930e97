"""Loyalty metafields and segment tags written back to Shopify customers, coalesced.

Writes are requested into per-shop Redis hashes (latest value wins: a customer's points
changing 1,000 times in a minute leaves one pending value) and flushed by a job at most every
`flush_every` seconds: metafieldsSet in batches of 25 (Shopify's maximum per call), tagsAdd /
tagsRemove once per customer and direction. A flush that fails or dies loses nothing: its
values stay in Redis for the next flush.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import structlog
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.loyalty.status_document import loyalty_metafields
from app.queue import JobQueue
from app.queue.deferred import CustomerWrite
from app.queue.interface import QueueUnavailable
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

FLUSH_JOB = "flush_customer_sync"
METAFIELDS_PER_CALL = 25  # metafieldsSet's documented maximum
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

# Take everything pending for a shop in one atomic step: the pending hashes are renamed into
# this flush's own keys (KEYS[3], KEYS[4]) and the flush is listed in KEYS[5] (a sorted set by
# flush number, ARGV[1]). Requests arriving during the flush land in fresh pending hashes.
# Returns every listed flush number, oldest first: those other than ours are flushes that died
# before finishing (a killed worker), whose values are written now.
_TAKE = """
local took = 0
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[3]); took = 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[4]); took = 1 end
if took == 1 then redis.call('ZADD', KEYS[5], tonumber(ARGV[1]), ARGV[1]) end
return redis.call('ZRANGE', KEYS[5], 0, -1)
"""
# KEYS[1] lock; ARGV[1] owner token.
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# A versioned request: the owner's values only if their version is newer than the last one
# requested (KEYS[2], kept across flushes), so a write sent late never overwrites a newer one.
# KEYS[1] the pending metafields hash; ARGV[1] owner gid, ARGV[2] version, ARGV[3] the
# versions' life in seconds, then field / value pairs. Returns 1 when written, 0 when stale.
_REQUEST_VERSIONED = """
local seen = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if seen >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
"""
# The versions outlive any write still in flight by far; a customer unchanged for this long
# starts again from 0, which any new version passes.
VERSIONS_SECONDS = 86400
# How long a flush may hold the shop's flush lock: past it (the worker died), the next flush
# takes over and writes what the dead one left.
DEFAULT_LOCK_SECONDS = 600.0


class _UserError(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    field: list[str] | None = None
    code: str | None = None
    message: str
    # metafieldsSet: which input of the call was refused.
    element_index: int | None = None


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    user_errors: list[_UserError]


@dataclass(frozen=True)
class SyncReport:
    metafields_written: int
    metafield_calls: int
    tag_calls: int
    rejected: int
    # Another flush of the shop holds the lock: nothing was done (schedule one for later).
    skipped: bool = False


def _metafields_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:metafields"


def _tags_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:tags"


def _flush_keys(shop_id: int, number: str) -> tuple[str, str]:
    return (
        f"boomerang:sync:{shop_id}:flush:{number}:metafields",
        f"boomerang:sync:{shop_id}:flush:{number}:tags",
    )


def _flushes_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:flushes"


def _sequence_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:flush-seq"


def _versions_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:versions"


def _lock_key(shop_id: int) -> str:
    return f"boomerang:sync:{shop_id}:flush-lock"


async def forget_shop(redis: Redis, shop_id: int) -> int:
    """Delete every pending or in-flight write of the shop (its customers' Shopify ids,
    points, tiers, referral links) and its flush bookkeeping: after shop/redact, whose
    flushes would skip the uninstalled shop and leave them forever. How many keys went."""
    deleted = 0
    batch: list[bytes | str] = []
    async for key in redis.scan_iter(match=f"boomerang:sync:{shop_id}:*", count=500):
        batch.append(key)
        if len(batch) == 500:
            deleted += await redis.delete(*batch)
            batch = []
    if batch:
        deleted += await redis.delete(*batch)
    return deleted


def flush_job_id(shop_id: int, now: float, every: float) -> tuple[str, datetime]:
    """One flush per shop per window of `every` seconds, run at the window's end."""
    window = math.floor(now / every)
    return f"{FLUSH_JOB}:{shop_id}:{window}", datetime.fromtimestamp((window + 1) * every, UTC)


async def schedule_flush(
    queue: JobQueue, shop_id: int, *, after: float = 0.0, flush_every: float = DEFAULT_FLUSH_EVERY
) -> bool:
    """Queue the shop's flush for the end of the window `after` seconds from now (a flush
    that failed asks for the next one so). False when that window's flush is already queued."""
    job_id, run_at = flush_job_id(shop_id, time.time() + after, flush_every)
    return await queue.enqueue(FLUSH_JOB, shop_id, job_id=job_id, defer_until=run_at)


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
    await schedule_flush(queue, shop_id, flush_every=flush_every)


async def request_loyalty(
    redis: Redis,
    queue: JobQueue,
    shop_id: int,
    customer_gid: str,
    *,
    points: int | None = None,
    tier: str | None = None,
    status: dict[str, Any] | None = None,
    flush_every: float = DEFAULT_FLUSH_EVERY,
) -> None:
    """The customer's loyalty points and tier as the storefront should see them, and the
    widget's status (`status`, json: pending points, tier measure, referral link)."""
    for namespace, key, type_, value in loyalty_metafields(points=points, tier=tier, status=status):
        await request_metafield(
            redis,
            queue,
            shop_id,
            customer_gid,
            namespace=namespace,
            key=key,
            type=type_,
            value=value,
            flush_every=flush_every,
        )


class CustomerSyncWriter:
    """Requests the `CustomerWrite`s a transaction deferred (app/queue/deferred.py) into the
    shops' pending hashes, each only if newer than what was requested for its owner, then
    schedules each shop's flush (after the write, as `request_metafield` does: a flush that
    ran meanwhile leaves the next window's to write it)."""

    def __init__(self, redis: Redis, queue: JobQueue, *, flush_every: float) -> None:
        self._redis = redis
        self._queue = queue
        self._flush_every = flush_every
        # The flush windows this writer has seen queued, per shop: within a window its flush
        # runs at the window's end, so asking the queue again only hears it is there already.
        self._scheduled: dict[int, str] = {}

    async def request(self, writes: Sequence[CustomerWrite]) -> None:
        try:
            for write in writes:
                fields: list[str] = []
                for namespace, key, type_, value in write.metafields:
                    fields.append(_SEP.join((write.owner_gid, namespace, key)))
                    fields.append(json.dumps({"type": type_, "value": value}))
                await self._redis.eval(  # type: ignore[misc]
                    _REQUEST_VERSIONED,
                    2,
                    _metafields_key(write.shop_id),
                    _versions_key(write.shop_id),
                    write.owner_gid,
                    str(write.version),
                    str(VERSIONS_SECONDS),
                    *fields,
                )
        except (RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        for shop_id in sorted({write.shop_id for write in writes}):
            window, _ = flush_job_id(shop_id, time.time(), self._flush_every)
            if self._scheduled.get(shop_id) == window:
                continue
            await schedule_flush(self._queue, shop_id, flush_every=self._flush_every)
            self._scheduled[shop_id] = window


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
        await schedule_flush(queue, shop_id, flush_every=flush_every)


async def flush_customer_sync(
    redis: Redis,
    client: AdminClient,
    shop: ShopRef,
    *,
    lock_seconds: float = DEFAULT_LOCK_SECONDS,
) -> SyncReport:
    """Write everything pending for the shop, and whatever a flush that died left behind.

    One flush per shop at a time (a lock with an expiry). The pending values are renamed into
    this flush's keys, so a flush killed half way loses nothing: its keys stay listed, and the
    next flush writes them (older values first, newer requests winning). Written values are
    removed from the keys as each call succeeds; when a call fails, what is left stays for the
    next flush and the error propagates (the job schedules that flush)."""
    owner = secrets.token_hex(8)
    lock = _lock_key(shop.id)
    if not await redis.set(lock, owner, nx=True, px=int(lock_seconds * 1000)):
        return SyncReport(0, 0, 0, 0, skipped=True)
    try:
        return await _flush_locked(redis, client, shop)
    finally:
        await redis.eval(_UNLOCK, 1, lock, owner)  # type: ignore[misc]


async def _flush_locked(redis: Redis, client: AdminClient, shop: ShopRef) -> SyncReport:
    number = str(await redis.incr(_sequence_key(shop.id)))
    metafields_key, tags_key = _flush_keys(shop.id, number)
    take = redis.register_script(_TAKE)
    listed = cast(
        list[bytes],
        await take(
            keys=[
                _metafields_key(shop.id),
                _tags_key(shop.id),
                metafields_key,
                tags_key,
                _flushes_key(shop.id),
            ],
            args=[number],
        ),
    )
    numbers = sorted((n.decode() for n in listed), key=int)
    if not numbers:
        return SyncReport(0, 0, 0, 0)
    flush_keys = [_flush_keys(shop.id, n) for n in numbers]
    async with redis.pipeline(transaction=False) as pipe:
        for m_key, t_key in flush_keys:
            pipe.hgetall(m_key)
            pipe.hgetall(t_key)
        contents = await pipe.execute()
    # Oldest first, so a newer request for the same field wins.
    metafields: dict[str, str] = {}
    tags: dict[str, str] = {}
    for index in range(len(flush_keys)):
        metafields.update(_decoded(contents[2 * index]))
        tags.update(_decoded(contents[2 * index + 1]))
    if len(numbers) > 1 or numbers[0] != number:
        log.info("customer sync resumes values of an unfinished flush", shop=shop.domain)
    m_keys = [m for m, _ in flush_keys]
    t_keys = [t for _, t in flush_keys]
    written, calls, rejected = await _write_metafields(redis, client, shop, metafields, m_keys)
    tag_calls, tags_rejected = await _write_tags(redis, client, shop, tags, t_keys)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(*m_keys, *t_keys)
        pipe.zrem(_flushes_key(shop.id), *numbers)
        await pipe.execute()
    return SyncReport(written, calls, tag_calls, rejected + tags_rejected)


async def _write_metafields(
    redis: Redis,
    client: AdminClient,
    shop: ShopRef,
    metafields: dict[str, str],
    flush_keys: list[str],
) -> tuple[int, int, int]:
    """metafieldsSet in batches of 25. The mutation is atomic (one bad input and nothing of
    the call is written) and names each bad input's `elementIndex`: those are dropped (retrying
    cannot make them valid) and the rest sent again."""
    written = calls = rejected = 0
    items = list(metafields.items())
    for start in range(0, len(items), METAFIELDS_PER_CALL):
        batch = items[start : start + METAFIELDS_PER_CALL]
        while batch:
            data = await client.execute(
                shop, METAFIELDS_SET, {"metafields": [_metafield_input(f, v) for f, v in batch]}
            )
            calls += 1
            errors = _Payload.model_validate(data["metafieldsSet"]).user_errors
            if not errors:
                written += len(batch)
                break
            bad = {e.element_index for e in errors}
            if None in bad or not bad <= set(range(len(batch))):
                # An error of the whole call: no input to single out, nothing to resend.
                refused, batch = batch, []
            else:
                refused = [item for i, item in enumerate(batch) if i in bad]
                batch = [item for i, item in enumerate(batch) if i not in bad]
            rejected += len(refused)
            log.warning(
                "metafieldsSet refused values",
                shop=shop.domain,
                refused=len(refused),
                errors=[e.message for e in errors][:5],
            )
        await _forget(
            redis, flush_keys, [field for field, _ in items[start : start + METAFIELDS_PER_CALL]]
        )
    return written, calls, rejected


async def _write_tags(
    redis: Redis, client: AdminClient, shop: ShopRef, tags: dict[str, str], flush_keys: list[str]
) -> tuple[int, int]:
    """tagsAdd / tagsRemove once per customer and direction."""
    calls = rejected = 0
    by_customer: dict[tuple[str, str], list[str]] = {}
    for field, action in tags.items():
        owner, tag = field.split(_SEP)
        by_customer.setdefault((owner, action), []).append(tag)
    for (owner, action), names in by_customer.items():
        operation = TAGS_ADD if action == "add" else TAGS_REMOVE
        data = await client.execute(shop, operation, {"id": owner, "tags": sorted(names)})
        calls += 1
        payload = _Payload.model_validate(data["tagsAdd" if action == "add" else "tagsRemove"])
        if payload.user_errors:
            rejected += len(payload.user_errors)
            log.warning(
                "tags refused",
                shop=shop.domain,
                errors=[e.message for e in payload.user_errors][:5],
            )
        await _forget(redis, flush_keys, [_SEP.join((owner, tag)) for tag in names])
    return calls, rejected


def _metafield_input(field: str, encoded: str) -> dict[str, Any]:
    owner, namespace, key = field.split(_SEP)
    body = json.loads(encoded)
    return {
        "ownerId": owner,
        "namespace": namespace,
        "key": key,
        "type": body["type"],
        "value": body["value"],
    }


async def _forget(redis: Redis, flush_keys: list[str], fields: list[str]) -> None:
    """Drop written (or refused) fields from the flush keys: a flush killed later does not
    leave them to be written again."""
    if not fields:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for key in flush_keys:
            pipe.hdel(key, *fields)
        await pipe.execute()


def _decoded(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}
