"""The mandatory compliance topics: customers/data_request, customers/redact, shop/redact."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.registry import (
    DataSubject,
    erase_customer_data,
    export_customer_data,
)
from app.installs.lifecycle import locked_shop, redact_shop
from app.models import CustomerDataRequest
from webhooks.registry import WebhookDelivery, handles


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _subject(delivery: WebhookDelivery, orders_key: str) -> DataSubject:
    customer = delivery.payload.get("customer") or {}
    orders = delivery.payload.get(orders_key) or []
    return DataSubject(
        shop_id=delivery.shop_id,
        customer_shopify_id=_int(customer.get("id")),
        email=customer.get("email") or None,
        order_shopify_ids=tuple(i for i in (_int(o) for o in orders) if i is not None),
    )


@handles("customers/data_request")
async def customers_data_request(session: AsyncSession, delivery: WebhookDelivery) -> None:
    await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    subject = _subject(delivery, "orders_requested")
    request_id = _int((delivery.payload.get("data_request") or {}).get("id"))
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
    await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    await erase_customer_data(session, _subject(delivery, "orders_to_redact"))


@handles("shop/redact")
async def shop_redact(session: AsyncSession, delivery: WebhookDelivery) -> None:
    shop = await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    await redact_shop(session, shop, keep_event_row_id=delivery.event_row_id)
