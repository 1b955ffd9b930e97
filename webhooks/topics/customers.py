"""customers/create and customers/update: newest wins (updated_at, then the delivery's trigger
time). Also the customer embedded in checkouts and orders, which only ever creates a missing
row, unversioned, so it never blocks the full customers/* payload that follows (embedded copies
can be partial and must not overwrite what customers/* told us).

Besides CustomerChanged, two facts the journeys start from: CustomerCreated, said once by the
first customers/create we apply, tied to the statement that sets signed_up_at: the insert
itself when the row is new (INSERT … RETURNING xmax = 0), else one conditional UPDATE, since a
checkout's embedded copy, a consent delivery or an overtaking customers/update may have made
the row first; and CustomerSubscribed, when a customer we knew goes from any other consent
state to subscribed.

Email consent has its own clock (consent_updated_at) and its own topic
(webhooks/topics/email_consent.py): customers/* changes it only when it carries a newer one,
and fields a payload leaves out are left as they are (Shopify's 2025-01 changelog moves consent
and tags out of the customer webhooks, into their own topics).

A customer erased by customers/redact stays erased: a later or still-queued delivery naming
them writes nothing personal back (their row is never updated again, and the checkout or order
that names them is stored without email, address or IP), and its raw body is forgotten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Table, case, literal_column, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app import order_stats
from app.compliance.automation import forget_late_delivery_body
from app.db.prepared import Prepared, begun_driver
from app.facts import CustomerChanged, CustomerCreated, CustomerSubscribed, publish
from app.models import Customer
from app.order_stats import lock_sql as stats_lock_sql
from app.scenarios import shoppers
from app.scenarios.shoppers import LOCK_SQL as SHOPPER_LOCK_SQL
from webhooks.freshness import newer_sql, same_version_sql
from webhooks.payloads import integer, money, obj, required_integer, tags, text, timestamp
from webhooks.registry import WebhookDelivery, handles

CONSENT_COLUMNS = (
    "email_marketing_state",
    "email_marketing_opt_in_level",
    "email_consent_updated_at",
    "email_consent_triggered_at",
)
_KEY = ("shop_id", "shopify_id")
SUBSCRIBED = "subscribed"
# What a replay of the same version changes: its trigger times (and the sign-up time a create
# brings, which the upsert never writes), which say nothing new.
_NOT_CONTENT = frozenset({*_KEY, "triggered_at", "email_consent_triggered_at", "signed_up_at"})


def consent_columns(consent: dict[str, Any], triggered_at: datetime | None) -> dict[str, Any]:
    """Shopify's email_marketing_consent object as our columns."""
    return {
        "email_marketing_state": text(consent.get("state"), 32),
        "email_marketing_opt_in_level": text(consent.get("opt_in_level"), 32),
        "email_consent_updated_at": timestamp(consent.get("consent_updated_at")),
        "email_consent_triggered_at": triggered_at,
    }


def _columns(shop_id: int, data: dict[str, Any], triggered_at: datetime | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "shopify_id": required_integer(data, "id"),
        "email": text(data.get("email"), 320),
        "first_name": text(data.get("first_name"), 255),
        "last_name": text(data.get("last_name"), 255),
        "locale": text(data.get("locale"), 16),
    }
    if (consent := obj(data.get("email_marketing_consent"))) is not None:
        values.update(consent_columns(consent, triggered_at))
    if "tags" in data:
        values["tags"] = tags(data["tags"])
    if (orders_count := integer(data.get("orders_count"))) is not None:
        values["orders_count"] = orders_count
    if (spent := money(data.get("total_spent"))) is not None:
        values["total_spent"] = spent
    return values


@handles("customers/create", "customers/update")
async def customer_changed(session: AsyncSession, delivery: WebhookDelivery) -> None:
    values = {
        **_columns(delivery.shop_id, delivery.payload, delivery.triggered_at),
        "shopify_updated_at": timestamp(delivery.payload.get("updated_at")),
        "triggered_at": delivery.triggered_at,
    }
    shopify_id: int = values["shopify_id"]
    creating = delivery.topic == "customers/create"
    if creating:
        # Written by the insert when the row is new (the usual case: one statement says it
        # all); never by the conflict's update, which leaves it to _sign_up below.
        values["signed_up_at"] = _signed_up_at(delivery)
    # Only a payload saying "subscribed" can subscribe someone: then (and only then) the
    # state we held before is needed, read under the lock the upsert would take anyway.
    prior_state: str | None = None
    known_before = False
    if values.get("email_marketing_state") == SUBSCRIBED:
        prior = (
            await session.execute(
                select(Customer.email_marketing_state)
                .where(Customer.shop_id == delivery.shop_id, Customer.shopify_id == shopify_id)
                .with_for_update()
            )
        ).one_or_none()
        known_before = prior is not None
        prior_state = prior[0] if prior is not None else None
    row = (await session.execute(_upsert(values))).one_or_none()
    if row is None:
        if await _redacted(session, delivery.shop_id, shopify_id):
            await forget_late_delivery_body(session, delivery.event_row_id)
            return
        # A stale version: nothing changed, but a late customers/create still says the
        # customer was created (below), if no earlier one did.
    else:
        customer_id, email, state, stored_tags = row.id, row.email, row.state, row.tags
        await publish(
            session,
            CustomerChanged(
                shop_id=delivery.shop_id,
                customer_id=customer_id,
                shopify_customer_id=shopify_id,
                email=email,
                email_marketing_state=state,
                tags=tuple(stored_tags or ()),
            ),
        )
        if known_before and prior_state != SUBSCRIBED and state == SUBSCRIBED:
            await publish(
                session,
                CustomerSubscribed(
                    shop_id=delivery.shop_id,
                    customer_id=customer_id,
                    shopify_customer_id=shopify_id,
                    email=email,
                    subscribed_at=values.get("email_consent_updated_at"),
                ),
            )
    if not creating:
        return
    if row is not None and row.inserted:
        await publish(
            session,
            CustomerCreated(
                shop_id=delivery.shop_id,
                customer_id=row.id,
                shopify_customer_id=shopify_id,
                email=row.email,
                email_marketing_state=row.state,
                signed_up_at=values["signed_up_at"],
            ),
        )
    elif row is None or row.signed_up_at is None:
        await _sign_up(session, delivery, shopify_id, values["signed_up_at"])


def _signed_up_at(delivery: WebhookDelivery) -> datetime:
    return (
        timestamp(delivery.payload.get("created_at")) or delivery.triggered_at or datetime.now(UTC)
    )


def _upsert(values: dict[str, Any]) -> Any:
    """customers/* as one INSERT … ON CONFLICT: newest version wins, consent by its own clock."""
    base = insert(Customer).values(**values)
    excluded = base.excluded
    table = Customer.__table__.c
    update_columns: dict[str, Any] = {
        k: excluded[k]
        for k in values
        if k not in _KEY and k not in CONSENT_COLUMNS and k != "signed_up_at"
    }
    if "email_marketing_state" in values:
        # An older consent inside a newer customer version (consent has its own topic,
        # which may have told us more recently) leaves the consent as it is.
        consent_is_newer = newer_sql(
            table.email_consent_updated_at,
            table.email_consent_triggered_at,
            excluded.email_consent_updated_at,
            excluded.email_consent_triggered_at,
        )
        for column in CONSENT_COLUMNS:
            update_columns[column] = case((consent_is_newer, excluded[column]), else_=table[column])
    return base.on_conflict_do_update(
        index_elements=list(_KEY),
        set_=update_columns,
        # A stale update (older updated_at, or the same second triggered earlier) changes
        # nothing; nor does the same version re-sent, nor any update of a redacted customer.
        where=table.redacted_at.is_(None)
        & newer_sql(
            table.shopify_updated_at,
            table.triggered_at,
            excluded.shopify_updated_at,
            excluded.triggered_at,
        )
        & ~same_version_sql(
            table.shopify_updated_at,
            excluded.shopify_updated_at,
            [table[k] for k in values if k not in _NOT_CONTENT],
            [excluded[k] for k in values if k not in _NOT_CONTENT],
        ),
    ).returning(
        Customer.id,
        Customer.email,
        Customer.email_marketing_state.label("state"),
        Customer.tags,
        Customer.signed_up_at,
        literal_column("xmax = 0", Boolean).label("inserted"),
    )


async def _sign_up(
    session: AsyncSession, delivery: WebhookDelivery, shopify_id: int, signed_up_at: datetime
) -> None:
    """Say CustomerCreated for a customers/create whose row existed already (an embedded copy
    from a checkout, a consent delivery, a customers/update that overtook the create): "first"
    is then the one UPDATE that finds signed_up_at still NULL. A concurrent redelivery waits on
    the row lock, then sees it set and updates nothing."""
    row = (
        await session.execute(
            update(Customer)
            .where(
                Customer.shop_id == delivery.shop_id,
                Customer.shopify_id == shopify_id,
                Customer.signed_up_at.is_(None),
                Customer.redacted_at.is_(None),
            )
            .values(signed_up_at=signed_up_at)
            .returning(Customer.id, Customer.email, Customer.email_marketing_state)
        )
    ).one_or_none()
    if row is None:
        return
    await publish(
        session,
        CustomerCreated(
            shop_id=delivery.shop_id,
            customer_id=row.id,
            shopify_customer_id=shopify_id,
            email=row.email,
            email_marketing_state=row.email_marketing_state,
            signed_up_at=signed_up_at,
        ),
    )


@dataclass(frozen=True)
class EmbeddedCustomer:
    """Our row for the customer a checkout or order names."""

    id: int
    # customers/redact erased them: nothing personal about them may be stored again.
    redacted: bool


# The embedded copy's insert (every column it may carry; what a payload leaves out is NULL or
# the column's default) and, in the same statement, the row it conflicted with, read FOR
# SHARE: a redaction of this customer holds the row until it commits; waiting for it means
# seeing its redacted_at rather than writing their email back just after. Then, once the row
# is found, the locks a caller asks for, in this order: the shopper's
# (app/scenarios/shoppers.py) and the customer's turn at their order statistics
# (app/order_stats.py); a NULL key takes none (the lock and hash functions are strict).
# Built once.
_CUSTOMERS = Customer.__table__
assert isinstance(_CUSTOMERS, Table)  # noqa: S101  (a mapped class's table, for mypy)
_EMBEDDED_COLUMNS = (
    *_KEY,
    "email",
    "first_name",
    "last_name",
    "locale",
    *CONSENT_COLUMNS,
    "tags",
    "orders_count",
    "total_spent",
)
_EMBEDDED_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(CONSENT_COLUMNS),
    "tags": [],
    "orders_count": 0,
    "total_spent": Decimal(0),
}
_EXISTING_SQL = """
    SELECT id, redacted_at FROM customers
    WHERE shop_id = :shop_id AND shopify_id = :shopify_id
    FOR SHARE"""
# (Column names and lock expressions from constants; every value is a parameter.)
_LOCKS_SQL = f"""
SELECT id, redacted_at,
       {SHOPPER_LOCK_SQL} AS shopper_locked, {stats_lock_sql("id")} AS stats_locked
FROM found"""  # noqa: S608
_INSERT_EMBEDDED = f"""
    INSERT INTO customers ({", ".join(_EMBEDDED_COLUMNS)})
    VALUES ({", ".join(f":{c}" for c in _EMBEDDED_COLUMNS)})
    ON CONFLICT (shop_id, shopify_id) DO NOTHING
    RETURNING id, CAST(NULL AS timestamptz) AS redacted_at"""  # noqa: S608
_EMBEDDED = Prepared(
    sql(
        f"""
WITH inserted AS ({_INSERT_EMBEDDED}
), existing AS ({_EXISTING_SQL}
), found AS (
    SELECT id, redacted_at FROM inserted UNION ALL SELECT id, redacted_at FROM existing
)
{_LOCKS_SQL}
"""  # noqa: S608
    )
)
# A row committed after the statement above began is invisible to its read: it waited for
# that row's insert, then found it neither new nor visible. Read again, in a statement of its
# own (a snapshot that sees it).
_EXISTING_EMBEDDED = Prepared(sql(f"WITH found AS ({_EXISTING_SQL}\n){_LOCKS_SQL}"))


async def embedded_customer(
    session: AsyncSession,
    shop_id: int,
    embedded: Any,
    *,
    shopper_lock: str | None = None,
    lock_order_stats: bool = False,
) -> EmbeddedCustomer | None:
    """Our row for the customer embedded in a checkout or order, created if new. The copy is
    stored without a version (shopify_updated_at NULL), so the customers/* delivery for the
    same customer always applies, even one stamped with the same second.

    In the same statement, after the row: the shopper's lock `shopper_lock` (a key from
    app.scenarios.shoppers.lock_key), and with `lock_order_stats` the customer's turn at
    their order statistics; both held until the transaction ends, and noted as held."""
    data = obj(embedded)
    if not data or data.get("id") is None:
        return None
    values = {**_EMBEDDED_DEFAULTS, **_columns(shop_id, data, triggered_at=None)}
    locks = {
        "shopper_lock": shopper_lock,
        "stats_lock_prefix": order_stats.lock_prefix(shop_id) if lock_order_stats else None,
    }
    driver = await begun_driver(session)
    row = await _EMBEDDED.fetchrow(driver, **values, **locks)
    if row is None:
        row = await _EXISTING_EMBEDDED.fetchrow(
            driver, shop_id=shop_id, shopify_id=values["shopify_id"], **locks
        )
    if row is None:  # pragma: no cover - the conflicting row exists (rows are not deleted here)
        raise RuntimeError("embedded customer conflicted with a row that is gone")
    customer_id = int(row["id"])
    if shopper_lock is not None:
        shoppers.mark_held(session, shopper_lock)
    if lock_order_stats:
        order_stats.mark_held(session, order_stats.lock_key(shop_id, customer_id))
    return EmbeddedCustomer(customer_id, redacted=row["redacted_at"] is not None)


async def _redacted(session: AsyncSession, shop_id: int, shopify_id: int) -> bool:
    redacted_at = await session.scalar(
        select(Customer.redacted_at).where(
            Customer.shop_id == shop_id, Customer.shopify_id == shopify_id
        )
    )
    return redacted_at is not None
