"""orders/create|paid|updated|fulfilled|cancelled: the order with its line items, the discount
codes it used and its fulfillments. Whichever orders/* delivery arrives first creates the order
(and says OrderPlaced); later ones apply when not older than what we hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, literal_column
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.service import record_redemptions
from app.compliance.automation import forget_late_delivery_body
from app.facts import OrderCancelled, OrderFulfilled, OrderPlaced, publish
from app.models import Fulfillment, Order, OrderDiscountCode, OrderLineItem
from app.order_stats import refresh_customer_order_stats
from webhooks.freshness import same_version_sql
from webhooks.order_paid import order_paid
from webhooks.payloads import (
    integer,
    items,
    jsonable,
    money,
    obj,
    required_integer,
    text,
    timestamp,
)
from webhooks.registry import WebhookDelivery, handles
from webhooks.topics.customers import embedded_customer


@handles("orders/create", "orders/paid", "orders/updated", "orders/fulfilled", "orders/cancelled")
async def order_changed(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    shop_id = delivery.shop_id
    customer = await embedded_customer(session, shop_id, data.get("customer"))
    customer_id = customer.id if customer else None
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "shopify_id": required_integer(data, "id"),
        "name": text(data.get("name"), 64),
        "checkout_token": text(data.get("checkout_token"), 255),
        "customer_id": customer_id,
        "email": text(data.get("email") or data.get("contact_email"), 320),
        "financial_status": text(data.get("financial_status"), 32),
        "fulfillment_status": text(data.get("fulfillment_status"), 32),
        "cancelled_at": timestamp(data.get("cancelled_at")),
        "subtotal_price": money(data.get("subtotal_price")),
        "total_price": money(data.get("total_price")),
        "total_discounts": money(data.get("total_discounts")),
        "currency": text(data.get("currency"), 3),
        "locale": text(data.get("customer_locale"), 16),
        "shipping_address": jsonable(obj(data.get("shipping_address"))),
        "browser_ip": text(data.get("browser_ip"), 64),
        "placed_at": timestamp(data.get("processed_at") or data.get("created_at")),
        "shopify_updated_at": timestamp(data.get("updated_at")),
    }
    if customer is not None and customer.redacted:
        # Redacted: amounts and line items stay for the merchant, the person does not.
        values.update(email=None, shipping_address=None, browser_ip=None)
        await forget_late_delivery_body(session, delivery.event_row_id)
    base = insert(Order).values(**values)
    table, excluded = Order.__table__.c, base.excluded
    content = [k for k in values if k not in ("shop_id", "shopify_id")]
    statement = base.on_conflict_do_update(
        index_elements=["shop_id", "shopify_id"],
        set_={k: excluded[k] for k in content},
        # Not older wins (<=): orders/cancelled and orders/fulfilled may carry the same
        # updated_at as the orders/create before them, and must still apply; the very same
        # version re-sent (a replayed body) is a no-op.
        where=(
            (table.shopify_updated_at.is_(None))
            | (table.shopify_updated_at <= excluded.shopify_updated_at)
        )
        & ~same_version_sql(
            table.shopify_updated_at,
            excluded.shopify_updated_at,
            [table[k] for k in content],
            [excluded[k] for k in content],
        ),
    ).returning(Order.id, literal_column("xmax = 0", Boolean).label("inserted"))
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        return  # stale: we already hold a newer version of this order
    order_id, inserted = int(row[0]), bool(row[1])
    used = await _store_children(session, shop_id, order_id, data)
    codes = tuple(code for code, _ in used)
    # Our codes (single or pool) this order used, marked once (a replay changes nothing).
    await record_redemptions(session, shop_id, order_id, used, redeemed_at=values["placed_at"])
    new_fulfillments = await _store_fulfillments(session, shop_id, values["shopify_id"], data)
    if customer_id is not None and (inserted or values["cancelled_at"] is not None):
        # A new order, or one cancelled (it stops counting): the customer's rhythm changed.
        await refresh_customer_order_stats(session, shop_id, customer_id)

    if inserted:
        await publish(
            session,
            OrderPlaced(
                shop_id=shop_id,
                order_id=order_id,
                shopify_order_id=values["shopify_id"],
                customer_id=customer_id,
                email=values["email"],
                checkout_token=values["checkout_token"],
                total_price=values["total_price"],
                currency=values["currency"],
                discount_codes=codes,
                placed_at=values["placed_at"],
            ),
        )
    if (paid := order_paid(shop_id, order_id, customer_id, values["email"], data)) is not None:
        await publish(session, paid)
    if delivery.topic == "orders/cancelled" and values["cancelled_at"] is not None:
        await publish(
            session,
            OrderCancelled(
                shop_id=shop_id,
                order_id=order_id,
                shopify_order_id=values["shopify_id"],
                customer_id=customer_id,
                cancelled_at=values["cancelled_at"],
            ),
        )
    if new_fulfillments:
        await publish(
            session,
            OrderFulfilled(
                shop_id=shop_id,
                order_id=order_id,
                shopify_order_id=values["shopify_id"],
                customer_id=customer_id,
                fulfillment_ids=tuple(new_fulfillments),
                fulfilled_at=max(
                    (
                        t
                        for t in (
                            timestamp(f.get("created_at")) for f in items(data.get("fulfillments"))
                        )
                        if t is not None
                    ),
                    default=None,
                ),
            ),
        )


async def _store_children(
    session: AsyncSession, shop_id: int, order_id: int, data: dict[str, Any]
) -> list[tuple[str, Decimal]]:
    """Upsert the line items and the discount codes used; returns (code, amount) of those."""
    for item in items(data.get("line_items")):
        line = {
            "shop_id": shop_id,
            "order_id": order_id,
            "shopify_id": required_integer(item, "id"),
            "product_id": integer(item.get("product_id")),
            "variant_id": integer(item.get("variant_id")),
            "title": text(item.get("title")) or "",
            "variant_title": text(item.get("variant_title")),
            "quantity": integer(item.get("quantity")) or 0,
            "price": money(item.get("price")) or 0,
        }
        base = insert(OrderLineItem).values(**line)
        await session.execute(
            base.on_conflict_do_update(
                index_elements=["shop_id", "shopify_id"],
                set_={k: base.excluded[k] for k in ("quantity", "price", "title")},
            )
        )
    used: list[tuple[str, Decimal]] = []
    for discount in items(data.get("discount_codes")):
        code = text(discount.get("code"), 255)
        if not code:
            continue
        amount = money(discount.get("amount")) or Decimal(0)
        used.append((code, amount))
        await session.execute(
            insert(OrderDiscountCode)
            .values(
                shop_id=shop_id,
                order_id=order_id,
                code=code,
                amount=amount,
                type=text(discount.get("type"), 32),
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "order_id", "code"])
        )
    return used


async def _store_fulfillments(
    session: AsyncSession, shop_id: int, order_shopify_id: int, data: dict[str, Any]
) -> list[int]:
    """Upsert the order's fulfillments; the Shopify ids of those seen for the first time."""
    new: list[int] = []
    for fulfillment in items(data.get("fulfillments")):
        shopify_id = required_integer(fulfillment, "id")
        values = {
            "shop_id": shop_id,
            "shopify_id": shopify_id,
            "order_shopify_id": order_shopify_id,
            "status": text(fulfillment.get("status"), 32),
            "tracking_company": text(fulfillment.get("tracking_company"), 255),
            "fulfilled_at": timestamp(fulfillment.get("created_at")),
            "shopify_updated_at": timestamp(fulfillment.get("updated_at")),
        }
        base = insert(Fulfillment).values(**values)
        statement = base.on_conflict_do_update(
            index_elements=["shop_id", "shopify_id"],
            set_={
                k: base.excluded[k] for k in ("status", "tracking_company", "shopify_updated_at")
            },
            where=(Fulfillment.shopify_updated_at.is_(None))
            | (Fulfillment.shopify_updated_at <= base.excluded.shopify_updated_at),
        ).returning(literal_column("xmax = 0", Boolean))
        inserted = (await session.execute(statement)).scalar_one_or_none()
        if inserted:
            new.append(shopify_id)
    return new
