"""Shopify's other delivery channels, into the same inbox: Amazon EventBridge (and Google Pub/Sub,
whose messages carry the same headers as attributes). Shopify hands a delivery to the cloud
provider instead of POSTing it to us; a consumer reads it from there and stores it exactly as
the HTTP route does: same row, same dedup by (shop, webhook id), same enqueue in its shop's turn.

An EventBridge event from Shopify's partner event source (`aws.partner/shopify.com/...`):

    {"version": "0", "id": "...", "detail-type": "shopifyWebhook", "source": "aws.partner/...",
     "account": "...", "time": "...", "region": "...", "resources": [],
     "detail": {"payload": {...the resource...},
                "metadata": {"Content-Type": "application/json", "X-Shopify-Topic": "...",
                             "X-Shopify-Shop-Domain": "...", "X-Shopify-Webhook-Id": "...",
                             "X-Shopify-Triggered-At": "...", "X-Shopify-Event-Id": "...",
                             "X-Shopify-API-Version": "...", "X-Shopify-Hmac-Sha256": "..."}}}

The payload arrives parsed, not as the bytes Shopify signed, so the HMAC cannot be checked
again: on this channel the provider authenticates the sender (only Shopify can publish to the
partner event source or the topic it was granted). The body is stored re-serialized.

The source is an interface (`DeliverySource`): an SQS queue behind an EventBridge rule, a Pub/Sub
subscription, or, locally and in tests, a Redis stream (`RedisStreamSource`). A message is
acknowledged only once its delivery is stored (and, when new, enqueued or left to the sweeper):
a consumer that dies before leaves it to be delivered again, which dedup makes harmless."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from app import metrics
from app.db.driver import run_on_driver
from app.inbox.jobs import first_job_id
from app.platform.resources import Resources
from webhooks.inbox import (
    DeliveryHeaders,
    MissingHeader,
    Stored,
    enqueue_processing,
    store_delivery,
)

log = structlog.get_logger(__name__)


class BadDelivery(ValueError):
    """A message that is not a Shopify delivery (no payload, no metadata, missing headers)."""


@dataclass(frozen=True)
class SourcedDelivery:
    """One message from the source: its handle (to acknowledge it) and the event it carries."""

    handle: str
    event: Mapping[str, Any]


class DeliverySource(Protocol):
    async def receive(self, max_messages: int) -> Sequence[SourcedDelivery]:
        """Up to `max_messages` deliveries not yet acknowledged (may return none)."""
        ...

    async def acknowledge(self, handles: Sequence[str]) -> None: ...


def from_eventbridge(event: Mapping[str, Any]) -> tuple[DeliveryHeaders, bytes]:
    """The delivery's headers and body from Shopify's EventBridge event (or a Pub/Sub message
    turned into the same shape: attributes as `metadata`, data as `payload`)."""
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise BadDelivery("no `detail` object: not a Shopify EventBridge event")
    metadata, payload = detail.get("metadata"), detail.get("payload")
    if not isinstance(metadata, Mapping) or not isinstance(payload, Mapping):
        raise BadDelivery("`detail` lacks its `metadata` or `payload` object")
    headers = {str(k).lower(): str(v) for k, v in metadata.items()}
    try:
        delivery = DeliveryHeaders.from_headers(headers)
    except MissingHeader as exc:
        raise BadDelivery(str(exc)) from exc
    return delivery, json.dumps(payload, separators=(",", ":")).encode()


class Consumed(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UNKNOWN_SHOP = "unknown_shop"
    BAD = "bad"


async def consume(
    resources: Resources, source: DeliverySource, *, batch: int = 50
) -> list[Consumed]:
    """Read one batch from the source into the inbox; returns what became of each message.
    Raises (acknowledging nothing of the rest) when the database cannot store them."""
    outcomes: list[Consumed] = []
    for message in await source.receive(batch):
        outcomes.append(await _store(resources, message))
        await source.acknowledge([message.handle])
    return outcomes


async def _store(resources: Resources, message: SourcedDelivery) -> Consumed:
    try:
        delivery, body = from_eventbridge(message.event)
    except BadDelivery as exc:
        metrics.WEBHOOKS_REJECTED.labels("bad_event").inc()
        log.warning("event from the delivery source refused", reason=str(exc))
        return Consumed.BAD
    with structlog.contextvars.bound_contextvars(
        shop=delivery.shop_domain, webhook_id=delivery.webhook_id, topic=delivery.topic
    ):
        stored = await run_on_driver(
            resources.engine, lambda driver: store_delivery(driver, delivery, body)
        )
        if stored.outcome is Stored.UNKNOWN_SHOP:
            metrics.WEBHOOKS_REJECTED.labels("unknown_shop").inc()
            log.warning("delivery for a shop that never installed the app: not stored")
            return Consumed.UNKNOWN_SHOP
        if stored.outcome is Stored.DUPLICATE or stored.event_row_id is None:
            metrics.WEBHOOKS_DUPLICATE.labels(delivery.topic).inc()
            return Consumed.DUPLICATE
        metrics.WEBHOOKS_RECEIVED.labels(delivery.topic).inc()
        await enqueue_processing(
            resources.queue,
            stored.event_row_id,
            job_id=first_job_id(stored.event_row_id),
            shop=delivery.shop_domain,
        )
        return Consumed.NEW


class RedisStreamSource:
    """Deliveries as JSON events in a Redis stream, read by a consumer group: what a small
    forwarder (a Lambda on the EventBridge rule, a Pub/Sub push endpoint) writes to, and the
    local stand-in the tests use. Unacknowledged messages of a consumer that died are claimed
    back after `reclaim_after_ms`."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        group: str = "boomerang-ingress",
        consumer: str = "consumer-1",
        reclaim_after_ms: int = 60_000,
    ) -> None:
        self._redis, self._stream, self._group, self._consumer = redis, stream, group, consumer
        self._reclaim_after_ms = reclaim_after_ms
        self._ready = False

    async def _ensure_group(self) -> None:
        if self._ready:
            return
        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def receive(self, max_messages: int) -> Sequence[SourcedDelivery]:
        await self._ensure_group()
        _, claimed, _ = await self._redis.xautoclaim(
            self._stream,
            self._group,
            self._consumer,
            min_idle_time=self._reclaim_after_ms,
            start_id="0",
            count=max_messages,
        )
        entries = list(claimed)
        if len(entries) < max_messages:
            read = await self._redis.xreadgroup(
                self._group,
                self._consumer,
                {self._stream: ">"},
                count=max_messages - len(entries),
            )
            for _, stream_entries in read:
                entries.extend(stream_entries)
        return [_sourced(entry_id, fields) for entry_id, fields in entries]

    async def acknowledge(self, handles: Sequence[str]) -> None:
        if handles:
            await self._redis.xack(self._stream, self._group, *handles)


def _sourced(entry_id: Any, fields: Mapping[Any, Any]) -> SourcedDelivery:
    handle = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    raw = fields.get(b"event", fields.get("event", b""))
    try:
        event = json.loads(raw)
    except ValueError:
        event = {}
    return SourcedDelivery(handle, event if isinstance(event, Mapping) else {})
