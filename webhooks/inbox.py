"""The inbox on the request path: store one verified delivery in one round trip, and hand its
id to the queue. Nothing here parses the body."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import structlog
from sqlalchemy import String, Table, Text, bindparam, literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.sql.dml import ReturningInsert

from app.db.driver import compile_for_driver
from app.inbox.jobs import PROCESS_JOB
from app.models import Shop, WebhookEvent, WebhookEventStatus
from app.queue import JobQueue
from app.queue.interface import QueueUnavailable
from app.shopify.verification import is_shop_domain
from webhooks.payloads import MalformedPayload, timestamp

log = structlog.get_logger(__name__)

# Redis must not eat Shopify's 5 s: past this the event waits for the sweeper.
ENQUEUE_TIMEOUT_SECONDS = 1.0


class MissingHeader(ValueError):
    """A signed request without the headers every Shopify delivery carries."""


@dataclass(frozen=True)
class DeliveryHeaders:
    topic: str
    shop_domain: str
    webhook_id: str
    event_id: str | None
    triggered_at: datetime | None
    api_version: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> DeliveryHeaders:
        topic = headers.get("x-shopify-topic", "").strip()
        domain = headers.get("x-shopify-shop-domain", "").strip().lower()
        webhook_id = headers.get("x-shopify-webhook-id", "").strip()
        missing = [
            name
            for name, value in (
                ("X-Shopify-Topic", topic),
                ("X-Shopify-Shop-Domain", domain),
                ("X-Shopify-Webhook-Id", webhook_id),
            )
            if not value
        ]
        if missing:
            raise MissingHeader(f"missing {', '.join(missing)}")
        if not is_shop_domain(domain):
            raise MissingHeader("X-Shopify-Shop-Domain is not a *.myshopify.com shop domain")
        try:
            triggered_at = timestamp(headers.get("x-shopify-triggered-at"))
        except MalformedPayload:
            triggered_at = None  # correlation only: a bad value must not lose the event
        return cls(
            topic=topic[:100],
            shop_domain=domain,
            webhook_id=webhook_id[:100],
            # Correlation and information only, bounded to their columns: an overlong value
            # must not lose the event.
            event_id=(headers.get("x-shopify-event-id") or "")[:100] or None,
            triggered_at=triggered_at,
            api_version=(headers.get("x-shopify-api-version") or "")[:20] or None,
        )


class Stored(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    UNKNOWN_SHOP = "unknown_shop"


@dataclass(frozen=True)
class StoreResult:
    outcome: Stored
    event_row_id: int | None = None


def decode_body(body: bytes) -> str:
    """The body as text for the `body` column; Postgres text holds neither invalid UTF-8 nor
    NUL, and a signed body that has them is stored (then fails as malformed), never a 500."""
    text = body.decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _build_insert() -> ReturningInsert[int]:
    """INSERT … SELECT shops.id … WHERE domain = :domain ON CONFLICT DO NOTHING RETURNING id,
    built once: per request only the parameters change (building it per request was 8 % of
    the route)."""
    event = WebhookEvent.__table__
    assert isinstance(event, Table)  # noqa: S101  (a mapped class's table, for mypy)
    source = select(
        Shop.id,
        bindparam("topic", type_=String),
        bindparam("webhook_id", type_=String),
        bindparam("event_id", type_=String),
        bindparam("triggered_at", type_=WebhookEvent.triggered_at.type),
        bindparam("api_version", type_=String),
        bindparam("body", type_=Text),
        literal_column(f"'{WebhookEventStatus.RECEIVED.value}'"),
        literal_column("0"),
    ).where(Shop.domain == bindparam("domain", type_=String))
    columns = ["shop_id", "topic", "webhook_id", "event_id", "triggered_at", "api_version"]
    return (
        insert(event)
        .from_select([*columns, "body", "status", "attempts"], source)
        .on_conflict_do_nothing(index_elements=["shop_id", "webhook_id"])
        .returning(event.c.id)
    )


_INSERT_EVENT_SQL, _INSERT_EVENT_ORDER = compile_for_driver(_build_insert())
_SHOP_ID_SQL, _ = compile_for_driver(
    select(Shop.id).where(Shop.domain == bindparam("domain", type_=String))
)


async def store_delivery(
    driver: asyncpg.Connection, delivery: DeliveryHeaders, body: bytes
) -> StoreResult:
    """Insert the raw event for the shop named by the delivery: one statement (its own
    transaction, committed when it returns) that both resolves the shop and says whether this
    webhook id is new. Uninstalled shops keep their row, so their app/uninstalled and redact
    deliveries are stored like any other."""
    params = {
        "domain": delivery.shop_domain,
        "topic": delivery.topic,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "triggered_at": delivery.triggered_at,
        "api_version": delivery.api_version,
        "body": decode_body(body),
    }
    row_id: int | None = await driver.fetchval(
        _INSERT_EVENT_SQL, *(params[name] for name in _INSERT_EVENT_ORDER)
    )
    if row_id is not None:
        return StoreResult(Stored.NEW, row_id)
    # Only on no row: a second query tells a duplicate from a shop we do not know.
    shop_id = await driver.fetchval(_SHOP_ID_SQL, delivery.shop_domain)
    return StoreResult(Stored.DUPLICATE if shop_id is not None else Stored.UNKNOWN_SHOP)


async def enqueue_processing(
    queue: JobQueue,
    event_row_id: int,
    *,
    job_id: str,
    shop: str | None,
    defer_until: datetime | None = None,
) -> bool:
    """Queue the processing of a stored event of `shop` (its domain), for `defer_until` if
    given, in its shop's turn (None: a deferred retry, which waits in the queue's schedule
    and runs when due, needs none). False when the queue is down or slow: the event is durable and
    the sweeper will enqueue it later."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT_SECONDS):
            await queue.enqueue(
                PROCESS_JOB, event_row_id, job_id=job_id, defer_until=defer_until, shop=shop
            )
    except (QueueUnavailable, TimeoutError) as exc:
        log.warning(
            "webhook event stored but not enqueued; the sweeper will pick it up",
            event_row_id=event_row_id,
            reason=str(exc) or type(exc).__name__,
        )
        return False
    return True
