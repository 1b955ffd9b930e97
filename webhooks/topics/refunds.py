"""refunds/create: one row per refund, with the amount actually refunded (its successful
refund transactions) in the shop's currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import RefundCreated, publish
from app.models import Order, Refund
from webhooks.payloads import integer, items, jsonable, money, required_integer, text, timestamp
from webhooks.registry import WebhookDelivery, handles


def _amount(data: dict[str, Any]) -> tuple[Decimal, str | None]:
    refunded = [
        t
        for t in items(data.get("transactions"))
        if t.get("kind") == "refund" and t.get("status") in ("success", None)
    ]
    if refunded:
        currency = text(refunded[0].get("currency"), 3)
        return sum((money(t.get("amount")) or Decimal(0) for t in refunded), Decimal(0)), currency
    # No transaction (e.g. a restock-only refund): the line items' subtotals.
    lines = items(data.get("refund_line_items"))
    return sum((money(li.get("subtotal")) or Decimal(0) for li in lines), Decimal(0)), None


@handles("refunds/create")
async def refund_created(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    amount, currency = _amount(data)
    order_shopify_id = required_integer(data, "order_id")
    shopify_refund_id = required_integer(data, "id")
    values = {
        "shop_id": delivery.shop_id,
        "shopify_id": shopify_refund_id,
        "order_shopify_id": order_shopify_id,
        "amount": amount,
        "currency": currency,
        "line_items": [
            jsonable(
                {
                    "line_item_id": integer(li.get("line_item_id")),
                    "quantity": integer(li.get("quantity")),
                    "subtotal": money(li.get("subtotal")),
                }
            )
            for li in items(data.get("refund_line_items"))
        ],
        "refunded_at": timestamp(data.get("processed_at") or data.get("created_at")),
    }
    refund_id = (
        await session.execute(
            insert(Refund)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
            .returning(Refund.id)
        )
    ).scalar_one_or_none()
    if refund_id is None:
        return  # already recorded
    order_id = (
        await session.execute(
            select(Order.id).where(
                Order.shop_id == delivery.shop_id, Order.shopify_id == order_shopify_id
            )
        )
    ).scalar_one_or_none()
    await publish(
        session,
        RefundCreated(
            shop_id=delivery.shop_id,
            refund_id=refund_id,
            shopify_refund_id=shopify_refund_id,
            order_id=order_id,
            shopify_order_id=order_shopify_id,
            amount=amount,
            currency=currency,
        ),
    )
