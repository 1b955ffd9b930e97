"""Processing one stored event, exactly once in effect: lock the row, skip it when done, parse,
run the topic's handler and mark it processed in ONE transaction. A failure is recorded in a
separate transaction and the caller retries with backoff; after MAX_ATTEMPTS the event is
`failed` until a merchant replays it. A worker killed mid-way commits nothing, so the event
stays `received` and comes back (sweeper or the queue's own retry).

The compliance topics never give up: Shopify's deadlines (30 days for a data request, erasure
after a redaction request) do not wait for a merchant to notice a failed event. They keep
retrying, the delay capped, and every failure past MAX_ATTEMPTS is logged as an error."""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import case, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics
from app.models import Shop, WebhookEvent, WebhookEventStatus
from app.queue.deferred import Job, take_deferred
from app.reconcile.versions import superseded
from webhooks.payloads import MalformedPayload, parse_body
from webhooks.registry import WebhookDelivery, handler_for

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0
_ERROR_LIMIT = 2000
# Retried until they succeed (see the module's docstring).
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})


class Outcome(enum.Enum):
    PROCESSED = "processed"
    NO_HANDLER = "no_handler"
    ALREADY_DONE = "already_done"
    # The same version of the resource was already applied (a reconciled event and the
    # delivery it stood in for): marked processed with a note, the handler not run.
    SUPERSEDED = "superseded"
    # Another job holds the row (or it does not exist): nothing to do here.
    BUSY = "busy"
    MALFORMED = "malformed"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    retry_in: float | None = None
    # Failed attempts so far, and whether to keep retrying beyond the queue's own limit.
    attempts: int = 0
    keep_retrying: bool = False
    # What the handlers asked to run once their writes are committed (enqueue follow-ups).
    after_commit: tuple[Job, ...] = ()


def describe_error(exc: BaseException) -> str:
    """One line naming the failure. SQLAlchemy's own message carries the statement's
    parameters (customer emails among them), so only the driver's first line is kept."""
    cause: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig else exc
    first_line = (str(cause).splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line}"[:_ERROR_LIMIT]


def backoff_seconds(attempts: int) -> float:
    """Exponential (2, 4, 8 … s, capped) with up to 50 % jitter, so a burst of failures
    does not come back as a burst."""
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** max(0, attempts - 1))
    return float(base + base * secrets.randbelow(500) / 1000)


async def process_event(sessions: async_sessionmaker[AsyncSession], event_row_id: int) -> Result:
    started = time.monotonic()
    try:
        async with sessions.begin() as session:
            result = await _process_locked(session, event_row_id)
            result = replace(result, after_commit=tuple(take_deferred(session)))
    except MalformedPayload as exc:
        # A handler found the body unreadable (a value out of range, a required field of the
        # wrong type): like an unparsable body, retrying will not change it.
        return await _record_malformed(sessions, event_row_id, exc)
    except Exception as exc:  # any handler failure is recorded, then retried
        return await _record_failure(sessions, event_row_id, exc)
    log.info(
        "webhook event handled",
        event_row_id=event_row_id,
        outcome=result.outcome.value,
        ms=round((time.monotonic() - started) * 1000, 1),
    )
    return result


async def _process_locked(session: AsyncSession, event_row_id: int) -> Result:
    row = (
        await session.execute(
            select(WebhookEvent, Shop.domain)
            .join(Shop, Shop.id == WebhookEvent.shop_id)
            .where(WebhookEvent.id == event_row_id)
            .with_for_update(of=WebhookEvent, skip_locked=True)
        )
    ).one_or_none()
    if row is None:
        return Result(Outcome.BUSY)
    event, shop_domain = row
    if event.status != WebhookEventStatus.RECEIVED:
        return Result(Outcome.ALREADY_DONE)
    structlog.contextvars.bind_contextvars(
        shop=shop_domain, topic=event.topic, webhook_id=event.webhook_id
    )
    if event.body is None:
        # Only processed events are purged (webhooks/retention.py); never expected here.
        _mark(event, WebhookEventStatus.FAILED, "body purged by retention")
        _count(event, "malformed")
        return Result(Outcome.MALFORMED)
    try:
        payload = parse_body(event.body)
    except MalformedPayload as exc:
        # A valid signature over a body we cannot read: retrying will not change it.
        _mark(event, WebhookEventStatus.FAILED, f"malformed payload: {exc}")
        event.attempts += 1
        _count(event, "malformed")
        return Result(Outcome.MALFORMED)
    handler = handler_for(event.topic)
    if handler is None:
        _mark(event, WebhookEventStatus.PROCESSED, f"note: no handler for topic {event.topic}")
        _count(event, "no_handler")
        return Result(Outcome.NO_HANDLER)
    note = await superseded(session, event.shop_id, event.topic, event.webhook_id, payload)
    if note is not None:
        _mark(event, WebhookEventStatus.PROCESSED, note)
        _count(event, "superseded")
        return Result(Outcome.SUPERSEDED)
    delivery = WebhookDelivery(
        event_row_id=event.id,
        shop_id=event.shop_id,
        shop_domain=shop_domain,
        topic=event.topic,
        webhook_id=event.webhook_id,
        event_id=event.event_id,
        triggered_at=event.triggered_at,
        api_version=event.api_version,
        payload=payload,
    )
    await handler(session, delivery)
    _mark(event, WebhookEventStatus.PROCESSED, None)
    _count(event, "processed")
    return Result(Outcome.PROCESSED)


def _mark(event: WebhookEvent, status: WebhookEventStatus, note: str | None) -> None:
    event.status = status
    event.last_error = note
    event.processed_at = datetime.now(UTC) if status == WebhookEventStatus.PROCESSED else None


def _count(event: WebhookEvent, outcome: str) -> None:
    metrics.WEBHOOKS_PROCESSED.labels(event.topic, outcome).inc()
    if outcome in ("processed", "no_handler"):
        elapsed = (datetime.now(UTC) - event.received_at).total_seconds()
        metrics.WEBHOOK_PROCESSING_SECONDS.labels(event.topic).observe(max(0.0, elapsed))


async def _record_malformed(
    sessions: async_sessionmaker[AsyncSession], event_row_id: int, exc: MalformedPayload
) -> Result:
    """Fail the event at once, its handler's writes rolled back; a compliance topic keeps
    retrying instead (a fixed handler may read it, and its deadline runs)."""
    async with sessions.begin() as session:
        row = (
            await session.execute(
                update(WebhookEvent)
                .where(
                    WebhookEvent.id == event_row_id,
                    WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
                    WebhookEvent.topic.not_in(COMPLIANCE_TOPICS),
                )
                .values(
                    attempts=WebhookEvent.attempts + 1,
                    last_error=f"malformed payload: {describe_error(exc)}"[:_ERROR_LIMIT],
                    status=WebhookEventStatus.FAILED.value,
                )
                .returning(WebhookEvent.topic)
            )
        ).one_or_none()
    if row is None:  # a compliance topic, or done meanwhile: the usual path decides
        return await _record_failure(sessions, event_row_id, exc)
    metrics.WEBHOOKS_PROCESSED.labels(row.topic, "malformed").inc()
    log.warning(
        "webhook event failed: malformed payload", event_row_id=event_row_id, error=str(exc)
    )
    return Result(Outcome.MALFORMED)


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession], event_row_id: int, exc: Exception
) -> Result:
    """Count the failed attempt; the last allowed one marks the event `failed`. A retry's due
    time is recorded, so the sweeper can re-enqueue it for then if the queue loses it."""
    error = describe_error(exc)
    async with sessions.begin() as session:
        row = (
            await session.execute(
                update(WebhookEvent)
                .where(
                    WebhookEvent.id == event_row_id,
                    WebhookEvent.status == WebhookEventStatus.RECEIVED.value,
                )
                .values(
                    attempts=WebhookEvent.attempts + 1,
                    last_error=error,
                    status=case(
                        (
                            (WebhookEvent.attempts + 1 >= MAX_ATTEMPTS)
                            & WebhookEvent.topic.not_in(COMPLIANCE_TOPICS),
                            WebhookEventStatus.FAILED.value,
                        ),
                        else_=WebhookEventStatus.RECEIVED.value,
                    ),
                )
                .returning(WebhookEvent.attempts, WebhookEvent.topic, WebhookEvent.status)
            )
        ).one_or_none()
        retry_in = (
            await _schedule_retry(session, event_row_id, row.attempts)
            if row is not None and row.status == WebhookEventStatus.RECEIVED
            else None
        )
    if row is None:
        # Processed or failed meanwhile by another job: nothing left to retry.
        return Result(Outcome.ALREADY_DONE)
    attempts, topic, _ = row
    if retry_in is None:  # that was the last allowed attempt
        metrics.WEBHOOKS_PROCESSED.labels(topic, "failed").inc()
        log.error(
            "webhook event failed for good; replay it from the admin once the cause is fixed",
            event_row_id=event_row_id,
            attempts=attempts,
            error=error,
        )
        return Result(Outcome.FAILED)
    metrics.WEBHOOKS_PROCESSED.labels(topic, "retry").inc()
    compliance = topic in COMPLIANCE_TOPICS
    if compliance and attempts >= MAX_ATTEMPTS:
        log.error(
            "compliance webhook still failing; it is retried until it succeeds, but Shopify's "
            "deadline runs: fix the cause now",
            event_row_id=event_row_id,
            topic=topic,
            attempts=attempts,
            retry_in=round(retry_in, 1),
            error=error,
        )
    else:
        log.warning(
            "webhook event failed; will retry",
            event_row_id=event_row_id,
            attempts=attempts,
            retry_in=round(retry_in, 1),
            error=error,
        )
    return Result(Outcome.RETRY, retry_in, attempts=attempts, keep_retrying=compliance)


async def _schedule_retry(session: AsyncSession, event_row_id: int, attempts: int) -> float:
    """The backoff before the next attempt, recorded as the event's next_attempt_at."""
    retry_in = backoff_seconds(attempts)
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_row_id)
        .values(next_attempt_at=datetime.now(UTC) + timedelta(seconds=retry_in))
    )
    return retry_in
