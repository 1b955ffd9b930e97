"""customers/create and customers/update: newest updated_at wins. Also the customer embedded
in checkouts and orders, which only ever creates a missing row (embedded copies can be partial
and must not overwrite what customers/* told us).

A customer erased by customers/redact stays erased: a later or still-queued delivery naming
them writes nothing personal back (their row is never updated again, and the checkout or order
that names them is stored without email, address or IP), and its raw body is forgotten."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.automation import forget_late_delivery_body
from app.facts import CustomerChanged, publish
from app.models import Customer
from webhooks.payloads import money, obj, required_integer, tags, text, timestamp
from webhooks.registry import WebhookDelivery, handles


def _columns(shop_id: int, data: dict[str, Any]) -> dict[str, Any]:
    consent = obj(data.get("email_marketing_consent")) or {}
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "shopify_id": required_integer(data, "id"),
        "email": text(data.get("email"), 320),
        "first_name": text(data.get("first_name"), 255),
        "last_name": text(data.get("last_name"), 255),
        "locale": text(data.get("locale"), 16),
        "email_marketing_state": text(consent.get("state"), 32),
        "email_marketing_opt_in_level": text(consent.get("opt_in_level"), 32),
        "email_consent_updated_at": timestamp(consent.get("consent_updated_at")),
        "tags": tags(data.get("tags")),
        "shopify_updated_at": timestamp(data.get("updated_at")),
    }
    if data.get("orders_count") is not None:
        values["orders_count"] = int(data["orders_count"])
    if (spent := money(data.get("total_spent"))) is not None:
        values["total_spent"] = spent
    return values


@handles("customers/create", "customers/update")
async def customer_changed(session: AsyncSession, delivery: WebhookDelivery) -> None:
    values = _columns(delivery.shop_id, delivery.payload)
    base = insert(Customer).values(**values)
    update_columns = {k: base.excluded[k] for k in values if k not in ("shop_id", "shopify_id")}
    statement = base.on_conflict_do_update(
        index_elements=["shop_id", "shopify_id"],
        set_=update_columns,
        # A stale update (older updated_at) arriving late changes nothing; nor does any update
        # of a redacted customer.
        where=Customer.redacted_at.is_(None)
        & (
            (Customer.shopify_updated_at.is_(None))
            | (Customer.shopify_updated_at < base.excluded.shopify_updated_at)
        ),
    ).returning(Customer.id)
    customer_id = (await session.execute(statement)).scalar_one_or_none()
    if customer_id is None:
        if await _redacted(session, delivery.shop_id, values["shopify_id"]):
            await forget_late_delivery_body(session, delivery.event_row_id)
        return
    await publish(
        session,
        CustomerChanged(
            shop_id=delivery.shop_id,
            customer_id=customer_id,
            shopify_customer_id=values["shopify_id"],
            email=values["email"],
            email_marketing_state=values["email_marketing_state"],
            tags=tuple(values["tags"]),
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
    """Our row for the customer embedded in a checkout or order, created if new."""
    data = obj(embedded)
    if not data or data.get("id") is None:
        return None
    values = _columns(shop_id, data)
    inserted = (
        await session.execute(
            insert(Customer)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
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
