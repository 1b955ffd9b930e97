"""Orders and abandoned checkouts as the Admin API serves them (`orders`, `abandonedCheckouts`,
`order`), Shopify's search syntax for their `query` argument (the `updated_at` / `created_at`
comparisons and `email`), and the views rendering the shop's REST-shaped records as GraphQL
objects. Every record comes from the same bodies the shop sends as webhooks, whether or not a
delivery reached the app."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from graphql import GraphQLError

from devstore.graphql import products
from devstore.graphql.views import Info, Views, connection, money
from devstore.state import Shop, gid

Item = TypeVar("Item")

# `field:>=value`, the value bare or quoted; terms are separated by spaces (AND).
_TERM = re.compile(r"""(\w+):(<=|>=|<|>)?(?:'([^']*)'|"([^"]*)"|(\S+))""")
_TIME_FIELDS = frozenset({"updated_at", "created_at"})


def _timestamp(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphQLError(f"Invalid timestamp in search query: {value!r}") from None


class SearchFilter:
    """The terms of a search `query` this simulator understands: time comparisons on
    updated_at / created_at and `email:` (a case-insensitive substring, as before). Unknown
    fields are ignored, as Shopify ignores (with a warning) fields it does not index."""

    def __init__(self, query: str | None) -> None:
        self.times: list[tuple[str, str, datetime]] = []
        self.email: str | None = None
        for found in _TERM.finditer(query or ""):
            name, operator = found.group(1), found.group(2) or ":"
            value = next(v for v in found.group(3, 4, 5) if v is not None)
            if name in _TIME_FIELDS:
                self.times.append((name, operator, _timestamp(value)))
            elif name == "email":
                self.email = value.lower()
        if query and not _TERM.search(query):
            self.email = query.strip().strip("'\"").lower()

    def accepts(self, values: dict[str, datetime | None], email: str | None = None) -> bool:
        if self.email is not None and (email is None or self.email not in email.lower()):
            return False
        for name, operator, bound in self.times:
            value = values.get(name)
            if value is None:
                return False
            matched = {
                ">": value > bound,
                ">=": value >= bound,
                "<": value < bound,
                "<=": value <= bound,
                ":": value == bound,
            }[operator]
            if not matched:
                return False
        return True


def page(
    items: Sequence[Item],
    render: Callable[[Item], dict[str, Any]],
    key: Callable[[Item], int],
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    bulk: bool,
) -> dict[str, Any]:
    """A connection page; a bulk operation reads the whole connection (no first/last)."""
    if bulk and first is None and last is None:
        first = max(len(items), 1)
        rendered = connection(items, render, key, first=first, last=None, after=after)
        rendered["pageInfo"]["hasNextPage"] = False
        return rendered
    return connection(items, render, key, first=first, last=last, after=after)


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def _bag(amount: Any, currency: str) -> dict[str, Any]:
    value = money(Decimal(str(amount or "0")), currency)
    return {"shopMoney": value, "presentmentMoney": value}


def _line_items(
    views: Views, shop: Shop, lines: list[dict[str, Any]], currency: str, kind: str, bulk: bool
) -> Callable[..., dict[str, Any]]:
    def render(line: dict[str, Any]) -> dict[str, Any]:
        product = shop.products.get(int(line.get("product_id") or 0))
        variant = shop.variant(int(line.get("variant_id") or 0))
        number = int(line.get("id") or 0)
        return {
            "__typename": kind,
            "id": gid(kind, number),
            "title": line.get("title") or "",
            "variantTitle": line.get("variant_title"),
            "quantity": int(line.get("quantity") or 0),
            "sku": line.get("sku"),
            "originalUnitPriceSet": _bag(line.get("price"), currency),
            "product": products.product_view(product) if product is not None else None,
            "variant": (
                products.variant_view(variant, shop.products[variant.product_id])
                if variant is not None and variant.product_id in shop.products
                else None
            ),
        }

    def resolve(
        _info: Info, first: int | None = None, last: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        numbered = [{**line, "id": line.get("id") or index + 1} for index, line in enumerate(lines)]
        return page(
            numbered,
            render,
            lambda line: int(line["id"]),
            first=first,
            last=last,
            after=after,
            bulk=bulk,
        )

    return resolve


_FINANCIAL = {
    "authorized": "AUTHORIZED",
    "expired": "EXPIRED",
    "paid": "PAID",
    "partially_paid": "PARTIALLY_PAID",
    "partially_refunded": "PARTIALLY_REFUNDED",
    "pending": "PENDING",
    "refunded": "REFUNDED",
    "voided": "VOIDED",
}
_FULFILLMENT = {"fulfilled": "FULFILLED", "partial": "PARTIALLY_FULFILLED"}
_FULFILLMENT_STATUS = {"success": "SUCCESS", "cancelled": "CANCELLED", "pending": "PENDING"}


def _customer(views: Views, shop: Shop, embedded: Any) -> dict[str, Any] | None:
    if not isinstance(embedded, dict) or embedded.get("id") is None:
        return None
    found = shop.customers.get(int(embedded["id"]))
    return views.customer_view(found) if found is not None else None


def order_view(views: Views, shop: Shop, order: dict[str, Any], bulk: bool) -> dict[str, Any]:
    currency = str(order.get("currency") or shop.currency)
    number = int(order["id"])

    def fulfillments(_info: Info, first: int | None = None) -> list[dict[str, Any]]:
        chosen = [f for f in order.get("fulfillments") or [] if isinstance(f, dict)]
        return [
            {
                "__typename": "Fulfillment",
                "id": gid("Fulfillment", int(f["id"])),
                "legacyResourceId": str(f["id"]),
                "name": f.get("name") or "",
                "status": _FULFILLMENT_STATUS.get(str(f.get("status")), "SUCCESS"),
                "createdAt": f.get("created_at"),
                "updatedAt": f.get("updated_at") or f.get("created_at"),
                "trackingInfo": lambda _info, first=None, f=f: [
                    {
                        "company": f.get("tracking_company"),
                        "number": f.get("tracking_number"),
                        "url": f.get("tracking_url"),
                    }
                ],
            }
            for f in (chosen[:first] if first is not None else chosen)
        ]

    return {
        "__typename": "Order",
        "id": gid("Order", number),
        "legacyResourceId": str(number),
        "name": order.get("name") or f"#{number}",
        "email": order.get("email"),
        "createdAt": order.get("created_at"),
        "updatedAt": order.get("updated_at"),
        "processedAt": order.get("processed_at") or order.get("created_at"),
        "cancelledAt": order.get("cancelled_at"),
        "checkoutToken": order.get("checkout_token"),
        "cartToken": order.get("cart_token"),
        "customerLocale": order.get("customer_locale"),
        "currencyCode": currency,
        "displayFinancialStatus": _FINANCIAL.get(str(order.get("financial_status"))),
        "displayFulfillmentStatus": _FULFILLMENT.get(
            str(order.get("fulfillment_status")), "UNFULFILLED"
        ),
        "subtotalPriceSet": _bag(order.get("subtotal_price"), currency),
        "totalPriceSet": _bag(order.get("total_price"), currency),
        "totalDiscountsSet": _bag(order.get("total_discounts"), currency),
        "discountCodes": [
            str(d["code"]) for d in order.get("discount_codes") or [] if isinstance(d, dict)
        ],
        "customer": _customer(views, shop, order.get("customer")),
        "lineItems": _line_items(
            views, shop, list(order.get("line_items") or []), currency, "LineItem", bulk
        ),
        "fulfillments": fulfillments,
    }


def checkout_view(views: Views, shop: Shop, checkout: dict[str, Any], bulk: bool) -> dict[str, Any]:
    currency = str(checkout.get("currency") or shop.currency)
    number = int(checkout["id"])
    return {
        "__typename": "AbandonedCheckout",
        "id": gid("AbandonedCheckout", number),
        "name": checkout.get("name") or f"#{number}",
        "abandonedCheckoutUrl": checkout.get("abandoned_checkout_url"),
        "completedAt": checkout.get("completed_at"),
        "createdAt": checkout.get("created_at"),
        "updatedAt": checkout.get("updated_at"),
        "discountCodes": [
            str(d["code"]) for d in checkout.get("discount_codes") or [] if isinstance(d, dict)
        ],
        "note": checkout.get("note") or "",
        "taxesIncluded": bool(checkout.get("taxes_included")),
        "customer": _customer(views, shop, checkout.get("customer")),
        "subtotalPriceSet": _bag(checkout.get("subtotal_price"), currency),
        "totalPriceSet": _bag(checkout.get("total_price"), currency),
        "lineItems": _line_items(
            views,
            shop,
            list(checkout.get("line_items") or []),
            currency,
            "AbandonedCheckoutLineItem",
            bulk,
        ),
    }


def _times(record: dict[str, Any]) -> dict[str, datetime | None]:
    return {
        "updated_at": _when(record.get("updated_at")),
        "created_at": _when(record.get("created_at")),
    }


def _sorted(
    records: list[dict[str, Any]], sort_key: str | None, reverse: bool | None
) -> list[dict[str, Any]]:
    fields = {"UPDATED_AT": "updated_at", "CREATED_AT": "created_at", "PROCESSED_AT": "created_at"}
    field = fields.get(sort_key or "ID")
    if field is None:
        ordered = sorted(records, key=lambda r: int(r["id"]))
    else:
        ordered = sorted(records, key=lambda r: (_when(r.get(field)) or datetime.min, int(r["id"])))
    return list(reversed(ordered)) if reverse else ordered


def orders(
    views: Views,
    shop: Shop,
    *,
    bulk: bool,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    query: str | None = None,
    sortKey: str | None = None,
    reverse: bool | None = None,
) -> dict[str, Any]:
    search = SearchFilter(query)
    chosen = [o for o in shop.orders.values() if search.accepts(_times(o), o.get("email"))]
    return page(
        _sorted(chosen, sortKey, reverse),
        lambda o: order_view(views, shop, o, bulk),
        lambda o: int(o["id"]),
        first=first,
        last=last,
        after=after,
        bulk=bulk,
    )


def abandoned_checkouts(
    views: Views,
    shop: Shop,
    *,
    bulk: bool,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    query: str | None = None,
    sortKey: str | None = None,
    reverse: bool | None = None,
) -> dict[str, Any]:
    """Checkouts with contact information, completed (recovered) ones included, as Shopify
    lists them."""
    search = SearchFilter(query)
    chosen = [
        c
        for c in shop.checkouts.values()
        if c.get("email") and c.get("id") is not None and search.accepts(_times(c), c.get("email"))
    ]
    return page(
        _sorted(chosen, sortKey, reverse),
        lambda c: checkout_view(views, shop, c, bulk),
        lambda c: int(c["id"]),
        first=first,
        last=last,
        after=after,
        bulk=bulk,
    )
