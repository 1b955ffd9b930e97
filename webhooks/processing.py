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
from sqlalchemy import Integer, String, Table, Text, bindparam, case, update
from sqlalchemy import text as sql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics
from app.db.prepared import Prepared, adopt, begin_on_driver, transaction_driver
from app.models import Shop, WebhookEvent, WebhookEventStatus
from app.queue.deferred import Deferred, take_deferred
from app.reconcile.versions import RECONCILED_IN_SHOP_SQL, superseded
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
    after_commit: tuple[Deferred, ...] = ()


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


# The event's row, locked for this job (SKIP LOCKED: a row another job holds is that job's),
# with its shop's row, in ONE statement compiled once and run on the transaction's driver:
# the 9 KB body is read once and never tracked; the shop is handed to the session
# (app.db.prepared.adopt), where the handlers and listeners that read it find it without
# another round trip.
#
# The same statement marks the event processed, as the last statement of the transaction did
# before: this is the transaction that applies it, so the mark commits with the handler's
# writes or rolls back with them (a failure is then recorded in a transaction of its own, see
# _record_failure), and the mark costs no round trip. processed_at is when the processing
# began, a few milliseconds before its commit. An event that turns out malformed, without a
# handler or superseded is marked again with its outcome. Compliance topics are marked at the
# end instead: their handlers erase the raw bodies of handled deliveries that name the
# customer, and their own delivery must still count as unhandled meanwhile.
#
# It also says whether the shop has any processed synthetic (reconciler) event: without one,
# no delivery of it can have a processed twin, and superseded() skips the twin's look-up (a
# round trip per versioned delivery; app/reconcile/versions.py).
_EVENTS = WebhookEvent.__table__
_SHOPS = Shop.__table__
assert isinstance(_EVENTS, Table)  # noqa: S101  (a mapped class's table, for mypy)
assert isinstance(_SHOPS, Table)  # noqa: S101
_SHOP_PREFIX = "shop__"
_EVENT_COLUMNS = (
    "id",
    "shop_id",
    "topic",
    "webhook_id",
    "event_id",
    "triggered_at",
    "api_version",
    "body",
    "status",
    "received_at",
)
_TAKE_EVENT = Prepared(
    sql(
        f"""
WITH locked AS (
    SELECT {", ".join(_EVENT_COLUMNS)}
    FROM webhook_events
    WHERE id = :event_row_id
    FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE webhook_events AS e
    SET status = '{WebhookEventStatus.PROCESSED.value}', last_error = NULL,
        processed_at = clock_timestamp()
    FROM locked
    WHERE e.id = locked.id AND locked.status = '{WebhookEventStatus.RECEIVED.value}'
      AND locked.body IS NOT NULL AND locked.topic <> ALL(CAST(:marked_last AS text[]))
    RETURNING e.id
)
SELECT {", ".join(f"locked.{c}" for c in _EVENT_COLUMNS)},
       EXISTS (SELECT FROM marked) AS marked,
       {RECONCILED_IN_SHOP_SQL.format(shop_id="locked.shop_id")} AS shop_reconciled,
       {", ".join(f"shops.{c.name} AS {_SHOP_PREFIX}{c.name}" for c in _SHOPS.c)}
FROM locked JOIN shops ON shops.id = locked.shop_id
"""  # noqa: S608  (column names and statuses from the model; every value is a parameter)
    )
)
_SHOP_COLUMNS = tuple((c.name, _SHOP_PREFIX + c.name) for c in _SHOPS.c)
_MARKED_LAST = sorted(COMPLIANCE_TOPICS)
_MARK_EVENT = Prepared(
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_row_id"))
    .values(
        status=bindparam("status", type_=String),
        last_error=bindparam("note", type_=Text),
        processed_at=bindparam("processed_at", type_=_EVENTS.c.processed_at.type),
        attempts=_EVENTS.c.attempts + bindparam("failed", type_=Integer),
    )
)


async def _process_locked(session: AsyncSession, event_row_id: int) -> Result:
    # The session's transaction begins here (BEGIN alone); the event's lock, the handlers'
    # statements and the listeners' ORM reads all run in it.
    driver = await begin_on_driver(session)
    row = await _TAKE_EVENT.fetchrow(driver, event_row_id=event_row_id, marked_last=_MARKED_LAST)
    if row is None:
        return Result(Outcome.BUSY)
    if row["status"] != WebhookEventStatus.RECEIVED:
        return Result(Outcome.ALREADY_DONE)
    shop = adopt(session, Shop, {name: row[label] for name, label in _SHOP_COLUMNS})
    topic, webhook_id, received_at = row["topic"], row["webhook_id"], row["received_at"]
    structlog.contextvars.bind_contextvars(shop=shop.domain, topic=topic, webhook_id=webhook_id)
    if row["body"] is None:
        # Only processed events are purged (webhooks/retention.py); never expected here.
        await _mark(
            session,
            event_row_id,
            WebhookEventStatus.FAILED,
            "body purged by retention",
            failed=True,
        )
        _count(topic, received_at, "malformed")
        return Result(Outcome.MALFORMED)
    try:
        payload = parse_body(row["body"])
    except MalformedPayload as exc:
        # A valid signature over a body we cannot read: retrying will not change it.
        await _mark(
            session,
            event_row_id,
            WebhookEventStatus.FAILED,
            f"malformed payload: {exc}",
            failed=True,
        )
        _count(topic, received_at, "malformed")
        return Result(Outcome.MALFORMED)
    handler = handler_for(topic)
    if handler is None:
        await _mark(
            session,
            event_row_id,
            WebhookEventStatus.PROCESSED,
            f"note: no handler for topic {topic}",
        )
        _count(topic, received_at, "no_handler")
        return Result(Outcome.NO_HANDLER)
    note = await superseded(
        session, row["shop_id"], topic, webhook_id, payload, shop_reconciled=row["shop_reconciled"]
    )
    if note is not None:
        await _mark(session, event_row_id, WebhookEventStatus.PROCESSED, note)
        _count(topic, received_at, "superseded")
        return Result(Outcome.SUPERSEDED)
    delivery = WebhookDelivery(
        event_row_id=event_row_id,
        shop_id=row["shop_id"],
        shop_domain=shop.domain,
        topic=topic,
        webhook_id=webhook_id,
        event_id=row["event_id"],
        triggered_at=row["triggered_at"],
        api_version=row["api_version"],
        payload=payload,
    )
    await handler(session, delivery)
    if not row["marked"]:  # a compliance topic (marked by the lock otherwise)
        await _mark(session, event_row_id, WebhookEventStatus.PROCESSED, None)
    _count(topic, received_at, "processed")
    return Result(Outcome.PROCESSED)


async def _mark(
    session: AsyncSession,
    event_row_id: int,
    status: WebhookEventStatus,
    note: str | None,
    *,
    failed: bool = False,
) -> None:
    """The event's outcome, written last in its transaction (the ORM flushes the handler's
    own pending changes first, as a commit would)."""
    await session.flush()
    await _MARK_EVENT.execute(
        await transaction_driver(session),
        event_row_id=event_row_id,
        status=status.value,
        note=note,
        processed_at=datetime.now(UTC) if status == WebhookEventStatus.PROCESSED else None,
        failed=1 if failed else 0,
    )


def _count(topic: str, received_at: datetime, outcome: str) -> None:
    metrics.WEBHOOKS_PROCESSED.labels(topic, outcome).inc()
    if outcome in ("processed", "no_handler"):
        elapsed = (datetime.now(UTC) - received_at).total_seconds()
        metrics.WEBHOOK_PROCESSING_SECONDS.labels(topic).observe(max(0.0, elapsed))


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
