"""The mandatory compliance topics: customers/data_request, customers/redact, shop/redact."""

from __future__ import annotations

import json
from typing import Any

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.automation import forget_delivery_body
from app.compliance.commerce import hold_customer
from app.compliance.registry import (
    DataSubject,
    erase_customer_data,
    export_customer_data,
)
from app.installs.lifecycle import delivery_shop, locked_shop, redact_shop
from app.models import CustomerDataRequest
from webhooks.payloads import MalformedPayload
from webhooks.registry import WebhookDelivery, handles

log = structlog.get_logger(__name__)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _field(payload: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """payload[key] when of `kind`, `default` when absent or null; otherwise the request is
    unreadable (and, being a compliance topic, retried and reported until fixed)."""
    value = payload.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise MalformedPayload(f"{key} is not a {kind.__name__}")
    return value


def _subject(delivery: WebhookDelivery, orders_key: str) -> DataSubject:
    customer = _field(delivery.payload, "customer", dict, {})
    orders = _field(delivery.payload, orders_key, list, [])
    return DataSubject(
        shop_id=delivery.shop_id,
        customer_shopify_id=_int(customer.get("id")),
        email=_field(customer, "email", str, "") or None,
        order_shopify_ids=tuple(i for i in (_int(o) for o in orders) if i is not None),
    )


@handles("customers/data_request")
async def customers_data_request(session: AsyncSession, delivery: WebhookDelivery) -> None:
    await delivery_shop(session, delivery.shop_id, delivery.shop_domain)
    subject = _subject(delivery, "orders_requested")
    request_id = _int(_field(delivery.payload, "data_request", dict, {}).get("id"))
    export = await export_customer_data(session, subject)
    await session.execute(
        insert(CustomerDataRequest)
        .values(
            shop_id=delivery.shop_id,
            # Without Shopify's id, the webhook's own id keeps redeliveries from duplicating.
            data_request_id=request_id if request_id is not None else delivery.event_row_id,
            customer_shopify_id=subject.customer_shopify_id,
            customer_email=subject.email,
            orders_requested=list(subject.order_shopify_ids),
            export=export,
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "data_request_id"])
    )


@handles("customers/redact")
async def customers_redact(session: AsyncSession, delivery: WebhookDelivery) -> None:
    await delivery_shop(session, delivery.shop_id, delivery.shop_domain)
    subject = _subject(delivery, "orders_to_redact")
    await hold_customer(session, subject)
    await erase_customer_data(session, subject)
    # The request's own body names the customer by email and phone: keep only which customer
    # and orders were redacted.
    await forget_delivery_body(session, delivery.event_row_id, _redaction_record(delivery))


def _redaction_record(delivery: WebhookDelivery) -> str:
    payload = delivery.payload
    customer = _field(payload, "customer", dict, {})
    return json.dumps(
        {
            "shop_id": payload.get("shop_id"),
            "shop_domain": payload.get("shop_domain"),
            "customer": {"id": customer.get("id")},
            "orders_to_redact": payload.get("orders_to_redact") or [],
            "redacted": True,
        },
        default=str,
    )


@handles("shop/redact")
async def shop_redact(session: AsyncSession, delivery: WebhookDelivery) -> None:
    shop = await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    if shop.uninstalled_at is None and shop.redacted_at is None:
        # Shopify sends shop/redact 48 hours after an uninstall; a shop with the app installed
        # now has none due. Erasing a live shop on an unsigned header's word (a captured body
        # replayed after a reinstall) would be the one unrecoverable mistake here.
        log.error(
            "shop/redact for a shop that has the app installed: nothing erased",
            installed_at=str(shop.installed_at),
        )
        return
    await redact_shop(session, shop, keep_event_row_id=delivery.event_row_id)
