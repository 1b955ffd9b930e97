"""customers/create and customers/update: newest wins (updated_at, then the delivery's trigger
time). Also the customer embedded in checkouts and orders, which only ever creates a missing
row, unversioned, so it never blocks the full customers/* payload that follows (embedded copies
can be partial and must not overwrite what customers/* told us).

Email consent has its own clock (consent_updated_at) and its own topic
(webhooks/topics/email_consent.py): customers/* changes it only when it carries a newer one,
and fields a payload leaves out are left as they are (Shopify's 2025-01 changelog moves consent
and tags out of the customer webhooks, into their own topics).

A customer erased by customers/redact stays erased: a later or still-queued delivery naming
them writes nothing personal back (their row is never updated again, and the checkout or order
that names them is stored without email, address or IP), and its raw body is forgotten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.automation import forget_late_delivery_body
from app.facts import CustomerChanged, publish
from app.models import Customer
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
# What a replay of the same version changes: its trigger times, which say nothing new.
_NOT_CONTENT = frozenset({*_KEY, "triggered_at", "email_consent_triggered_at"})


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
    base = insert(Customer).values(**values)
    excluded = base.excluded
    table = Customer.__table__.c
    update_columns: dict[str, Any] = {
        k: excluded[k] for k in values if k not in _KEY and k not in CONSENT_COLUMNS
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
    statement = base.on_conflict_do_update(
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
    ).returning(Customer.id, Customer.email, Customer.email_marketing_state, Customer.tags)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        if await _redacted(session, delivery.shop_id, values["shopify_id"]):
            await forget_late_delivery_body(session, delivery.event_row_id)
        return
    customer_id, email, state, stored_tags = row
    await publish(
        session,
        CustomerChanged(
            shop_id=delivery.shop_id,
            customer_id=customer_id,
            shopify_customer_id=values["shopify_id"],
            email=email,
            email_marketing_state=state,
            tags=tuple(stored_tags or ()),
        ),
    )


@dataclass(frozen=True)
class EmbeddedCustomer:
    """Our row for the customer a checkout or order names."""

    id: int
    # customers/redact erased them: nothing personal about them may be stored again.
    redacted: bool


async def embedded_customer(
    session: AsyncSession, shop_id: int, embedded: Any
) -> EmbeddedCustomer | None:
    """Our row for the customer embedded in a checkout or order, created if new. The copy is
    stored without a version (shopify_updated_at NULL), so the customers/* delivery for the
    same customer always applies, even one stamped with the same second."""
    data = obj(embedded)
    if not data or data.get("id") is None:
        return None
    values = _columns(shop_id, data, triggered_at=None)
    inserted = (
        await session.execute(
            insert(Customer)
            .values(**values)
            .on_conflict_do_nothing(index_elements=list(_KEY))
            .returning(Customer.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return EmbeddedCustomer(int(inserted), redacted=False)
    # FOR SHARE: a redaction of this customer holds the row until it commits; waiting for it
    # means seeing its redacted_at rather than writing their email back just after.
    existing = (
        await session.execute(
            select(Customer.id, Customer.redacted_at)
            .where(Customer.shop_id == shop_id, Customer.shopify_id == values["shopify_id"])
            .with_for_update(read=True)
        )
    ).one()
    return EmbeddedCustomer(int(existing.id), redacted=existing.redacted_at is not None)


async def _redacted(session: AsyncSession, shop_id: int, shopify_id: int) -> bool:
    redacted_at = await session.scalar(
        select(Customer.redacted_at).where(
            Customer.shop_id == shop_id, Customer.shopify_id == shopify_id
        )
    )
    return redacted_at is not None
