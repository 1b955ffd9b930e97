"""Shopify's sample order and refund payloads (../shared/fixtures) with only what a test needs
varied: ids, the customer, the subtotal, the refunded lines. Amounts are strings, as Shopify
sends them; every `*_set` names the shop's money (and the presentment money, when asked)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from tests.support.fixtures import fixture_json


def _money_set(shop: Decimal | str, currency: str = "USD", presentment: Any = None) -> Any:
    shown = presentment or (str(shop), currency)
    return {
        "shop_money": {"amount": str(shop), "currency_code": currency},
        "presentment_money": {"amount": shown[0], "currency_code": shown[1]},
    }


def _customer(template: dict[str, Any], customer_id: int | None, email: str) -> Any:
    if customer_id is None:
        return None
    customer = copy.deepcopy(template)
    customer.update(
        id=customer_id,
        email=email,
        admin_graphql_api_id=f"gid://shopify/Customer/{customer_id}",
    )
    customer["default_address"]["customer_id"] = customer_id
    return customer


def order(
    topic: str,
    *,
    order_id: int,
    customer_id: int | None,
    email: str,
    subtotal: Decimal | str = "388.00",
    financial_status: str | None = None,
    presentment: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """An orders/* body (the fixture of `topic`) for this order and customer (None: a guest
    checkout), with its subtotal in the shop's money; `presentment` is what the customer saw
    (amount, currency) when they paid in another currency."""
    data = fixture_json(topic)
    data.update(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{order_id}",
        email=email,
        contact_email=email,
        subtotal_price=str(subtotal),
        subtotal_price_set=_money_set(subtotal, presentment=presentment),
        current_subtotal_price=str(subtotal),
        current_subtotal_price_set=_money_set(subtotal, presentment=presentment),
        customer=_customer(data["customer"], customer_id, email),
    )
    if presentment is not None:
        data["presentment_currency"] = presentment[1]
    if financial_status is not None:
        data["financial_status"] = financial_status
    for index, line in enumerate(data["line_items"]):
        line["id"] = order_id * 10 + index
        line["admin_graphql_api_id"] = f"gid://shopify/LineItem/{line['id']}"
    return data


def paid_order(**fields: Any) -> dict[str, Any]:
    """An orders/paid body: see `order`."""
    return order("orders/paid", **fields)


def refund(
    *,
    refund_id: int,
    order_id: int,
    lines: tuple[Decimal | str, ...] = (),
    shipping: Decimal | str | None = None,
) -> dict[str, Any]:
    """A refunds/create body returning `lines` (each a line item's subtotal, in shop money)
    and, when given, `shipping`; its one transaction is the money that went back."""
    data = fixture_json("refunds/create")
    template = data["refund_line_items"][0]
    data.update(
        id=refund_id,
        order_id=order_id,
        admin_graphql_api_id=f"gid://shopify/Refund/{refund_id}",
    )
    data["refund_line_items"] = []
    for index, subtotal in enumerate(lines):
        line = copy.deepcopy(template)
        line.update(
            id=refund_id * 10 + index,
            line_item_id=order_id * 10 + index,
            subtotal=float(subtotal),
            subtotal_set=_money_set(subtotal),
        )
        line["line_item"]["id"] = order_id * 10 + index
        data["refund_line_items"].append(line)
    total = sum((Decimal(str(s)) for s in lines), Decimal(0))
    if shipping is not None:
        total += Decimal(str(shipping))
        data["refund_shipping_lines"] = [
            {
                "id": refund_id * 10 + 9,
                "shipping_line_id": order_id * 10 + 9,
                "subtotal_amount_set": _money_set(shipping),
                "tax_amount_set": _money_set("0.00"),
            }
        ]
    transaction = data["transactions"][0]
    transaction.update(id=refund_id * 10, order_id=order_id, amount=str(total))
    return data
