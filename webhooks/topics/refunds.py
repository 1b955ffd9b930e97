"""refunds/create: one row per refund, with the amount refunded in the shop's currency.

A refund's transactions carry `amount` in the order's presentment currency (what the customer
paid in: EUR on a USD shop's multi-currency order) and no shop-money twin; the refund's parts
do carry `*_set.shop_money`. So: the successful refund transactions when they are in the
shop's currency (exactly what went back), otherwise the parts in shop money — line items
(subtotal and tax), refunded shipping lines, duties and additional fees, less the order
adjustments (Shopify books a refund of more than the parts as a negative refund_discrepancy,
of less as a positive one)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import RefundCreated, publish
from app.models import Order, Refund
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


def shop_money(money_set: Any) -> tuple[Decimal, str | None] | None:
    """(amount, currency) of a MoneyBag's shop_money, or None when the set is absent."""
    shop = obj((obj(money_set) or {}).get("shop_money"))
    if shop is None:
        return None
    amount = money(shop.get("amount"))
    if amount is None:
        return None
    return amount, text(shop.get("currency_code") or shop.get("currency"), 3)


def _shop_currency(data: dict[str, Any]) -> str | None:
    """The shop's currency as the refund states it (every *_set names it)."""
    sets: list[Any] = [data.get("total_duties_set"), data.get("total_additional_fees_set")]
    for line in items(data.get("refund_line_items")):
        sets += [line.get("subtotal_set"), line.get("total_tax_set")]
    for found in (shop_money(s) for s in sets):
        if found is not None and found[1]:
            return found[1]
    return None


def _sum(amounts: Iterable[tuple[Decimal, str | None] | None]) -> Decimal:
    return sum((a[0] for a in amounts if a is not None), Decimal(0))


def _parts_in_shop_money(data: dict[str, Any]) -> Decimal:
    lines = items(data.get("refund_line_items"))
    shipping = items(data.get("refund_shipping_lines"))
    adjustments = items(data.get("order_adjustments"))
    return (
        _sum(shop_money(li.get("subtotal_set")) for li in lines)
        + _sum(shop_money(li.get("total_tax_set")) for li in lines)
        + _sum(shop_money(s.get("subtotal_amount_set")) for s in shipping)
        + _sum(shop_money(s.get("tax_amount_set")) for s in shipping)
        + _sum([shop_money(data.get("total_duties_set"))])
        + _sum([shop_money(data.get("total_additional_fees_set"))])
        - _sum(shop_money(a.get("amount_set")) for a in adjustments)
        - _sum(shop_money(a.get("tax_amount_set")) for a in adjustments)
    )


def _line_subtotal(line: dict[str, Any]) -> Decimal:
    in_shop = shop_money(line.get("subtotal_set"))
    if in_shop is not None:
        return in_shop[0]
    return money(line.get("subtotal")) or Decimal(0)  # payloads older than the *_set fields


def refunded_in_shop_money(data: dict[str, Any]) -> tuple[Decimal, str | None]:
    refunded = [
        t
        for t in items(data.get("transactions"))
        if t.get("kind") == "refund" and t.get("status") in ("success", None)
    ]
    currency = _shop_currency(data)
    if not refunded:
        # No money moved (e.g. a restock-only refund): the line items' value, as before.
        lines = items(data.get("refund_line_items"))
        return sum((_line_subtotal(li) for li in lines), Decimal(0)), currency
    transaction_currencies = {text(t.get("currency"), 3) for t in refunded}
    if currency is None or transaction_currencies == {currency}:
        # The order was paid in the shop's currency: the transactions are what went back.
        total = sum((money(t.get("amount")) or Decimal(0) for t in refunded), Decimal(0))
        return total, currency or next(iter(transaction_currencies))
    return _parts_in_shop_money(data), currency


def _line_item(line: dict[str, Any]) -> dict[str, Any]:
    """What a refund line keeps: its line item, quantity and subtotal in shop money, and
    whether it gives back a gift card bought (which never earned points: loyalty's clawback
    leaves it out)."""
    refunded = line.get("line_item")
    stored: dict[str, Any] = jsonable(
        {
            "line_item_id": integer(line.get("line_item_id")),
            "quantity": integer(line.get("quantity")),
            "subtotal": _line_subtotal(line),
            "gift_card": isinstance(refunded, dict) and refunded.get("gift_card") is True,
        }
    )
    return stored


@handles("refunds/create")
async def refund_created(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    amount, currency = refunded_in_shop_money(data)
    order_shopify_id = required_integer(data, "order_id")
    shopify_refund_id = required_integer(data, "id")
    values = {
        "shop_id": delivery.shop_id,
        "shopify_id": shopify_refund_id,
        "order_shopify_id": order_shopify_id,
        "amount": amount,
        "currency": currency,
        "line_items": [_line_item(li) for li in items(data.get("refund_line_items"))],
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
