"""OrderPaid from an orders/* payload: whether it says paid, and the subtotal loyalty points
count, in the shop's currency (the `*_set.shop_money` amounts, whatever the customer paid in).

Shopify's order subtotal is after discounts and before shipping, duties and taxes, except on a
taxes-included order, whose line prices hold their tax: that tax comes off. A gift card bought
is money changing form, not a purchase, so its line comes off too."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.facts import OrderPaid
from webhooks.payloads import integer, items, money, required_integer, text, timestamp
from webhooks.topics.refunds import shop_money

# Refunded states follow paid: an order we first hear of as refunded was paid.
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})


def _amount(money_set: Any, fallback: Any = None) -> Decimal:
    found = shop_money(money_set)
    if found is not None:
        return found[0]
    return money(fallback) or Decimal(0)


def _line_tax(line: dict[str, Any]) -> Decimal:
    return sum(
        (_amount(tax.get("price_set"), tax.get("price")) for tax in items(line.get("tax_lines"))),
        Decimal(0),
    )


def _gift_card_line(line: dict[str, Any]) -> Decimal:
    quantity = integer(line.get("quantity")) or 0
    gross = _amount(line.get("price_set"), line.get("price")) * quantity
    discounted = sum(
        (
            _amount(allocation.get("amount_set"), allocation.get("amount"))
            for allocation in items(line.get("discount_allocations"))
        ),
        Decimal(0),
    )
    return gross - discounted


def eligible_subtotal(data: dict[str, Any]) -> Decimal:
    """The order's subtotal after discounts, without shipping, taxes or gift cards bought."""
    subtotal = _amount(data.get("subtotal_price_set"), data.get("subtotal_price"))
    lines = items(data.get("line_items"))
    if data.get("taxes_included") is True:
        subtotal -= sum((_line_tax(line) for line in lines), Decimal(0))
    subtotal -= sum(
        (_gift_card_line(line) for line in lines if line.get("gift_card") is True), Decimal(0)
    )
    return max(subtotal, Decimal(0))


def shop_currency(data: dict[str, Any]) -> str | None:
    found = shop_money(data.get("subtotal_price_set"))
    return (found[1] if found else None) or text(data.get("currency"), 3)


def order_paid(
    shop_id: int, order_id: int, customer_id: int | None, email: str | None, data: dict[str, Any]
) -> OrderPaid | None:
    """The fact, when the payload says the order is paid; None otherwise."""
    if data.get("financial_status") not in PAID_STATUSES:
        return None
    return OrderPaid(
        shop_id=shop_id,
        order_id=order_id,
        shopify_order_id=required_integer(data, "id"),
        customer_id=customer_id,
        email=email,
        eligible_subtotal=eligible_subtotal(data),
        currency=shop_currency(data),
        paid_at=timestamp(data.get("processed_at") or data.get("created_at")),
    )
