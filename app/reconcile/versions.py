"""One version of one resource: its key (resource, identity, updated_at), which is a synthetic
event's webhook id, and the checks that keep a version from being applied twice whichever of
the real delivery and the reconciler's event comes first: the versions applied, and those a
delivery has brought that wait in the inbox for the worker (no twin is stored for them)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver
from app.models import Checkout, Customer, Order, WebhookEvent, WebhookEventStatus

ORDERS = "orders"
CHECKOUTS = "checkouts"
CUSTOMERS = "customers"
SYNTHETIC_PREFIX = "reconcile:"

TOPIC_RESOURCE = {
    "orders/create": ORDERS,
    "orders/paid": ORDERS,
    "orders/updated": ORDERS,
    "orders/fulfilled": ORDERS,
    "orders/cancelled": ORDERS,
    "checkouts/create": CHECKOUTS,
    "checkouts/update": CHECKOUTS,
    "customers/create": CUSTOMERS,
    "customers/update": CUSTOMERS,
}

RESOURCE_TOPICS: dict[str, tuple[str, ...]] = {
    resource: tuple(topic for topic, of in TOPIC_RESOURCE.items() if of == resource)
    for resource in (ORDERS, CHECKOUTS, CUSTOMERS)
}

ALREADY_DELIVERED = "note: reconciled event superseded: a delivery already brought this version"
ALREADY_RECONCILED = "note: this version was already applied from the reconciler's read-back"


def updated_at(payload: dict[str, Any]) -> datetime | None:
    value = payload.get("updated_at")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def identity(resource: str, payload: dict[str, Any]) -> str | None:
    """A checkout is known by its token; orders and customers by their id."""
    value = payload.get("token") if resource == CHECKOUTS else payload.get("id")
    if isinstance(value, bool) or value is None or value == "":
        return None
    return str(value)


def version_key(resource: str, payload: dict[str, Any]) -> str | None:
    """`reconcile:{resource}:{identity}:{updated_at in UTC}`, or None without both."""
    found, moment = identity(resource, payload), updated_at(payload)
    if found is None or moment is None:
        return None
    stamp = moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"{SYNTHETIC_PREFIX}{resource}:{found}:{stamp}"[:100]


def is_synthetic(webhook_id: str) -> bool:
    return webhook_id.startswith(SYNTHETIC_PREFIX)


async def held_versions(
    session: AsyncSession, shop_id: int, resource: str, identities: Iterable[str]
) -> dict[str, datetime | None]:
    """The updated_at we hold for each of these resources (None: held without a version, as
    an embedded customer is); absent ones are not in the answer."""
    wanted = list(dict.fromkeys(identities))
    if not wanted:
        return {}
    if resource == CHECKOUTS:
        rows = await session.execute(
            select(Checkout.token, Checkout.shopify_updated_at).where(
                Checkout.shop_id == shop_id, Checkout.token.in_(wanted)
            )
        )
        return {str(token): version for token, version in rows}
    numbers = [int(value) for value in wanted if value.isdigit()]
    model = Order if resource == ORDERS else Customer
    rows = await session.execute(
        select(model.shopify_id, model.shopify_updated_at).where(
            model.shop_id == shop_id, model.shopify_id.in_(numbers)
        )
    )
    return {str(number): version for number, version in rows}


# Stored and still to be processed, written as a literal: the partial index on the shop's
# unprocessed deliveries by topic (ix_webhook_events_unprocessed_topic) takes it. A delivery
# that failed for good is not counted: its version is read back as missing, as before.
_WAITING = text(f"webhook_events.status = '{WebhookEventStatus.RECEIVED.value}'")


async def waiting_versions(
    session: AsyncSession, shop_id: int, resource: str, identities: Iterable[str]
) -> dict[str, datetime]:
    """The newest version of each of these resources that a stored delivery (or an earlier
    run's synthetic event) brings and the worker has not processed yet: it will be applied,
    so the reconciler must not store its twin. Only the rows of the resource's topics whose raw
    body mentions one of the identities are read and parsed; the others are passed over in
    the database. Asked only for versions the applied tables lack: a healthy shop asks nothing."""
    wanted = set(identities)
    if not wanted:
        return {}
    mentions = "|".join(re.escape(found) for found in sorted(wanted))
    bodies = await session.scalars(
        select(WebhookEvent.body).where(
            WebhookEvent.shop_id == shop_id,
            _WAITING,
            WebhookEvent.topic.in_(RESOURCE_TOPICS[resource]),
            WebhookEvent.body.regexp_match(mentions),
        )
    )
    newest: dict[str, datetime] = {}
    for body in bodies:
        payload = _json_object(body)
        if payload is None:
            continue  # a body we cannot read brings nothing (its processing fails it)
        found, moment = identity(resource, payload), updated_at(payload)
        if found in wanted and moment is not None:
            newest[found] = max(moment, newest.get(found, moment))
    return newest


def _json_object(body: str | None) -> dict[str, Any] | None:
    if body is None:
        return None
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def with_waiting(
    held: dict[str, datetime | None], waiting: dict[str, datetime]
) -> dict[str, datetime | None]:
    """The versions held once the waiting deliveries are applied: the newer of the two."""
    merged = dict(held)
    for found, moment in waiting.items():
        current = merged.get(found)
        merged[found] = moment if current is None or moment > current else current
    return merged


def is_missing(held: dict[str, datetime | None], key: str, version: datetime) -> bool:
    """Whether a read-back version is newer than what we hold (or not held at all)."""
    if key not in held:
        return True
    current = held[key]
    return current is None or current < version


async def superseded(
    session: AsyncSession,
    shop_id: int,
    topic: str,
    webhook_id: str,
    payload: dict[str, Any],
    *,
    shop_reconciled: bool = True,
) -> str | None:
    """Why this stored event must not be applied (its note), or None to apply it.

    - a synthetic event whose version (or a newer one) a delivery has brought meanwhile;
    - a delivery of a version the reconciler has already applied (the late real delivery):
      its synthetic twin, same key, is processed. `shop_reconciled` False says the shop has
      no processed synthetic event at all (RECONCILED_IN_SHOP_SQL, asked by the caller in a
      statement it runs anyway): then no twin can be, and it is not looked for."""
    resource = TOPIC_RESOURCE.get(topic)
    if resource is None:
        return None
    moment = updated_at(payload)
    found = identity(resource, payload)
    if moment is None or found is None:
        return None
    if is_synthetic(webhook_id):
        held = await held_versions(session, shop_id, resource, [found])
        return None if is_missing(held, found, moment) else ALREADY_DELIVERED
    if not shop_reconciled:
        return None
    twin = await _TWIN_STATUS.fetchrow(
        await begun_driver(session), shop_id=shop_id, webhook_id=version_key(resource, payload)
    )
    processed = twin is not None and twin["status"] == WebhookEventStatus.PROCESSED
    return ALREADY_RECONCILED if processed else None


# The twin's status, compiled once and run on the transaction's driver (app/db/prepared.py).
# Asked by (shop_id, webhook_id) alone, so its one plan is the unique index's whatever the
# table's statistics: with `status = 'processed'` in the WHERE, a never-analyzed table had
# the planner walk the shop's processed events through (shop_id, status) (0.3 ms at 3,000).
_TWIN_STATUS = Prepared(
    text("SELECT status FROM webhook_events WHERE shop_id = :shop_id AND webhook_id = :webhook_id")
)

# Whether the shop has any processed synthetic event, for a statement that has its shop's id
# as `{shop_id}` (webhooks/processing.py asks it in the event's lock, at no round trip of its
# own). Most shops never have one; for them every delivery skips the twin's look-up. Over the
# partial index ix_webhook_events_reconciled_processed, which holds only those rows, so the
# answer costs one index probe with or without statistics.
RECONCILED_IN_SHOP_SQL = (
    "EXISTS (SELECT FROM webhook_events AS reconciled WHERE reconciled.shop_id = {shop_id} "
    f"AND reconciled.status = '{WebhookEventStatus.PROCESSED.value}' "
    f"AND reconciled.webhook_id LIKE '{SYNTHETIC_PREFIX}%')"
)
