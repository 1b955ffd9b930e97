"""fulfillments/update and fulfillment_events/create: when Shopify reports a shipment of an
order delivered. The first delivered status of any of an order's shipments is stored once
(order_deliveries, keyed by the order's Shopify id) and said as OrderDelivered; the review
request's "after delivery" timing counts from it. Every other status, and every later
delivered status of the same order, changes nothing.

Payloads are the REST resources (shopify.dev/docs/api/admin-rest/latest/resources/fulfillment
and …/fulfillmentevent): a Fulfillment carries `id`, `order_id`, `shipment_status`
(`delivered` among label_printed, confirmed, in_transit, out_for_delivery, …) and `updated_at`;
a FulfillmentEvent carries `fulfillment_id`, `order_id`, `status` (`delivered` …) and
`happened_at`. Both topics need the read_fulfillments scope (WebhookSubscriptionTopic,
shopify.dev/docs/api/admin-graphql/latest/enums/WebhookSubscriptionTopic)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import deliveries
from app.facts import OrderDelivered, publish
from app.models import Order
from webhooks.payloads import required_integer, text, timestamp
from webhooks.registry import WebhookDelivery, handles

DELIVERED = "delivered"


@handles("fulfillments/update")
async def fulfillment_updated(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    if (text(data.get("shipment_status"), 32) or "").lower() != DELIVERED:
        return
    await _delivered(
        session,
        delivery,
        order_shopify_id=required_integer(data, "order_id"),
        fulfillment_shopify_id=required_integer(data, "id"),
        delivered_at=timestamp(data.get("updated_at")),
    )


@handles("fulfillment_events/create")
async def fulfillment_event_created(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    if (text(data.get("status"), 32) or "").lower() != DELIVERED:
        return
    await _delivered(
        session,
        delivery,
        order_shopify_id=required_integer(data, "order_id"),
        fulfillment_shopify_id=required_integer(data, "fulfillment_id"),
        delivered_at=timestamp(data.get("happened_at") or data.get("created_at")),
    )


async def _delivered(
    session: AsyncSession,
    delivery: WebhookDelivery,
    *,
    order_shopify_id: int,
    fulfillment_shopify_id: int,
    delivered_at: datetime | None,
) -> None:
    """Store the order's first delivered status; say it once (a redelivery, the other topic
    or another parcel of the same order finds the row and says nothing)."""
    now = datetime.now(UTC)
    first = await deliveries.record_first(
        session,
        shop_id=delivery.shop_id,
        order_shopify_id=order_shopify_id,
        fulfillment_shopify_id=fulfillment_shopify_id,
        delivered_at=delivered_at,
        source=delivery.topic,
        learnt_at=now,
    )
    if not first:
        return
    order_id = await session.scalar(
        select(Order.id).where(
            Order.shop_id == delivery.shop_id, Order.shopify_id == order_shopify_id
        )
    )
    await publish(
        session,
        OrderDelivered(
            shop_id=delivery.shop_id,
            order_id=order_id,
            shopify_order_id=order_shopify_id,
            fulfillment_shopify_id=fulfillment_shopify_id,
            delivered_at=delivered_at,
            learnt_at=now,
        ),
    )
