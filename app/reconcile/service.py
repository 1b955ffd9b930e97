"""One reconciliation of one shop: for each resource, read back what changed at Shopify since
the shop's mark (a bulk operation when the gap is large), and store each version we do not hold
as a synthetic event in the webhook inbox, its processing queued like a delivery's. The marks
move to the newest `updated_at` read; a run that found something missing flags the shop (its
reminders then reconcile first), a run that found nothing clears the flag."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox.jobs import first_job_id, processing_job
from app.models import ReconcileState, ScenarioRun, WebhookEvent, WebhookEventStatus
from app.queue.deferred import defer, transaction
from app.queue.interface import JobQueue
from app.reconcile import versions
from app.reconcile.versions import CHECKOUTS, CUSTOMERS, ORDERS
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

RESOURCES = (CUSTOMERS, CHECKOUTS, ORDERS)
_MARK_COLUMN = {ORDERS: "orders_mark", CHECKOUTS: "checkouts_mark", CUSTOMERS: "customers_mark"}
# A shop without a mark reads back from its install, this much earlier (payload timestamps
# are whole seconds), and never further back than FIRST_LOOKBACK.
INSTALL_SLACK = timedelta(minutes=5)
FIRST_LOOKBACK = timedelta(days=3)
# Shopify's search index trails its writes by seconds: a mark never passes now minus this, so
# an object indexed late is still found by the next run (re-reading the last minutes costs
# little: what we hold is skipped).
SEARCH_LAG = timedelta(minutes=2)


class ChangeFeed(Protocol):
    """What changed at Shopify, as REST webhook bodies (app.shopify.admin.changes)."""

    def changed_since(
        self, shop: ShopRef, resource: str, since: datetime, *, bulk: bool
    ) -> AsyncIterator[list[dict[str, Any]]]: ...


@dataclass
class ReconcileReport:
    read: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    bulk: list[str] = field(default_factory=list)
    # The inbox rows written, for a caller that processes them at once (before a reminder).
    event_ids: list[int] = field(default_factory=list)

    @property
    def total_missing(self) -> int:
        return sum(self.missing.values())


def synthetic_topic(resource: str, payload: dict[str, Any]) -> str:
    """The topic whose handler applies this version: a cancelled order must say so (its
    handler publishes the cancellation on that topic only)."""
    if resource == ORDERS:
        return "orders/cancelled" if payload.get("cancelled_at") else "orders/updated"
    return "checkouts/update" if resource == CHECKOUTS else "customers/update"


async def _state(session: AsyncSession, shop_id: int) -> ReconcileState:
    await session.execute(insert(ReconcileState).values(shop_id=shop_id).on_conflict_do_nothing())
    state = await session.scalar(
        select(ReconcileState).where(ReconcileState.shop_id == shop_id).with_for_update()
    )
    if state is None:  # pragma: no cover - inserted just above
        raise LookupError(f"no reconcile state for shop {shop_id}")
    return state


async def marks(
    sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> dict[str, datetime | None]:
    async with sessions() as session:
        state = await session.get(ReconcileState, shop_id)
    return {r: getattr(state, _MARK_COLUMN[r]) if state else None for r in RESOURCES}


async def store_missing(
    session: AsyncSession,
    shop_id: int,
    resource: str,
    bodies: list[dict[str, Any]],
    *,
    shop_domain: str,
    api_version: str,
    settled_before: datetime | None,
) -> tuple[list[int], datetime | None]:
    """Insert a synthetic event for each body whose version we neither hold nor have waiting
    in the inbox (a delivery stored, not processed yet), and which changed
    before `settled_before` (a younger one may still be on its way as a webhook; None takes
    every version), its
    processing deferred to the commit; returns the rows written and the newest updated_at
    seen."""
    keyed = [
        (body, versions.identity(resource, body), versions.updated_at(body)) for body in bodies
    ]
    held = await versions.held_versions(
        session, shop_id, resource, [found for _, found, _ in keyed if found is not None]
    )
    # A version no table holds yet may be waiting in the inbox (the worker is behind): its
    # delivery will apply it, so it is not missing and gets no twin.
    unapplied = [
        found
        for _, found, moment in keyed
        if found is not None and moment is not None and versions.is_missing(held, found, moment)
    ]
    held = versions.with_waiting(
        held, await versions.waiting_versions(session, shop_id, resource, unapplied)
    )
    written: list[int] = []
    newest: datetime | None = None
    for body, found, moment in keyed:
        if found is None or moment is None:
            continue
        newest = moment if newest is None or moment > newest else newest
        too_young = settled_before is not None and moment > settled_before
        if too_young or not versions.is_missing(held, found, moment):
            continue
        key = versions.version_key(resource, body)
        row_id = await session.scalar(
            insert(WebhookEvent)
            .values(
                shop_id=shop_id,
                topic=synthetic_topic(resource, body),
                webhook_id=key,
                event_id=None,
                triggered_at=moment,
                api_version=api_version,
                body=json.dumps(body, separators=(",", ":")),
                status=WebhookEventStatus.RECEIVED.value,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "webhook_id"])
            .returning(WebhookEvent.id)
        )
        if row_id is not None:
            written.append(int(row_id))
            defer(
                session,
                processing_job(int(row_id), job_id=first_job_id(int(row_id)), shop=shop_domain),
            )
    return written, newest


async def reconcile_shop(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    feed: ChangeFeed,
    shop: ShopRef,
    *,
    now: datetime,
    installed_at: datetime | None,
    bulk_after: timedelta,
    api_version: str,
    grace: timedelta,
    flags_gaps: bool = True,
) -> ReconcileReport:
    """Read back every resource changed since the shop's marks; store what is missing and
    changed more than `grace` ago (deliveries take seconds: a younger version is left to its
    webhook, and to the next run if that never comes). `flags_gaps`: whether this run sets or
    clears the shop's gap flag (the periodic runs do; a run right before a reminder, with no
    grace, would count deliveries still under way as gaps)."""
    report = ReconcileReport()
    first_since = max(now - FIRST_LOOKBACK, (installed_at or now) - INSTALL_SLACK)
    held_marks = await marks(sessions, shop.id)
    advanced: dict[str, datetime] = {}
    for resource in RESOURCES:
        since = held_marks[resource] or first_since
        bulk = now - since > bulk_after
        if bulk:
            report.bulk.append(resource)
        read = missing = 0
        newest = held_marks[resource]
        async for bodies in feed.changed_since(shop, resource, since, bulk=bulk):
            read += len(bodies)
            async with transaction(sessions, queue) as session:
                written, seen = await store_missing(
                    session,
                    shop.id,
                    resource,
                    bodies,
                    shop_domain=shop.domain,
                    api_version=api_version,
                    settled_before=now - grace if grace > timedelta(0) else None,
                )
            missing += len(written)
            report.event_ids.extend(written)
            if seen is not None and (newest is None or seen > newest):
                newest = seen
        report.read[resource] = read
        report.missing[resource] = missing
        if newest is not None:
            advanced[resource] = min(newest, now - max(SEARCH_LAG, grace))
    async with sessions.begin() as session:
        state = await _state(session, shop.id)
        for resource, mark in advanced.items():
            column = _MARK_COLUMN[resource]
            current = getattr(state, column)
            if current is None or mark > current:
                setattr(state, column, mark)
        state.last_run_at = now
        state.last_missing = report.total_missing
        state.missing_total += report.total_missing
        if flags_gaps:
            state.gap_at = now if report.total_missing else None
    if report.total_missing:
        log.warning(
            "missed webhooks reconciled",
            shop=shop.domain,
            orders=report.missing.get(ORDERS, 0),
            checkouts=report.missing.get(CHECKOUTS, 0),
            customers=report.missing.get(CUSTOMERS, 0),
            bulk=",".join(report.bulk) or None,
        )
    return report


async def gap_pending(
    session: AsyncSession, shop_id: int, now: datetime, *, fresh_for: timedelta
) -> bool:
    """Whether a reminder of this shop should reconcile first: its last run found deliveries
    missing, and it has not run within `fresh_for`. One primary-key read: cheap for the shops
    without gaps."""
    row = (
        await session.execute(
            select(ReconcileState.gap_at, ReconcileState.last_run_at).where(
                ReconcileState.shop_id == shop_id
            )
        )
    ).one_or_none()
    if row is None or row.gap_at is None:
        return False
    return row.last_run_at is None or row.last_run_at <= now - fresh_for


async def gapped_shop_of_run(
    session: AsyncSession, run_id: int, now: datetime, *, fresh_for: timedelta
) -> int | None:
    """The shop of this scenario run when it should reconcile before the run's next step (see
    gap_pending); None otherwise, in one indexed read."""
    row = (
        await session.execute(
            select(ScenarioRun.shop_id, ReconcileState.gap_at, ReconcileState.last_run_at)
            .join(ReconcileState, ReconcileState.shop_id == ScenarioRun.shop_id)
            .where(ScenarioRun.id == run_id, ReconcileState.gap_at.is_not(None))
        )
    ).one_or_none()
    if row is None:
        return None
    if row.last_run_at is not None and row.last_run_at > now - fresh_for:
        return None
    return int(row.shop_id)


async def note_subscriptions_checked(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, now: datetime
) -> None:
    async with sessions.begin() as session:
        state = await _state(session, shop_id)
        state.subscriptions_checked_at = now
