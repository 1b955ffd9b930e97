"""Admin GraphQL objects rewritten as the REST webhook bodies the topic handlers read: the
reconciler feeds what it reads back from the Admin API into the same inbox as a delivery, so it
must look like one. Only the fields the handlers use are mapped; ids are the numeric
legacyResourceId (the REST `id`), and a GraphQL enum becomes its lower-case REST value."""

from __future__ import annotations

import re
from typing import Any

# abandoned_checkout_url is `https://{shop}/{shop id}/checkouts/{token}/recover?key=…` (the
# newer `/checkouts/ac/{token}/recover` and `/checkouts/cn/{token}/recover` forms too).
_CHECKOUT_TOKEN_IN_URL = re.compile(r"/checkouts/(?:[a-z]{2}/)?([A-Za-z0-9_-]+)/recover")

_FULFILLMENT_STATUS = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}


def legacy_id(gid: Any) -> int | None:
    """`gid://shopify/Order/123` -> 123."""
    if not isinstance(gid, str):
        return None
    tail = gid.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def _number(node: dict[str, Any]) -> int | None:
    value = node.get("legacyResourceId")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int):
        return value
    return legacy_id(node.get("id"))


def _amount(bag: Any) -> str | None:
    money = (bag or {}).get("shopMoney") if isinstance(bag, dict) else None
    return str(money["amount"]) if isinstance(money, dict) and "amount" in money else None


def _currency(bag: Any, side: str = "shopMoney") -> str | None:
    money = (bag or {}).get(side) if isinstance(bag, dict) else None
    return (
        str(money["currencyCode"]) if isinstance(money, dict) and "currencyCode" in money else None
    )


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _nodes(connection: Any) -> list[dict[str, Any]]:
    """A connection's nodes, whether asked as `nodes` or `edges { node }`, or already a list
    (a bulk operation's children, gathered by `__parentId`)."""
    if isinstance(connection, list):
        return [n for n in connection if isinstance(n, dict)]
    if not isinstance(connection, dict):
        return []
    if isinstance(connection.get("nodes"), list):
        return [n for n in connection["nodes"] if isinstance(n, dict)]
    edges = connection.get("edges")
    if isinstance(edges, list):
        return [e["node"] for e in edges if isinstance(e, dict) and isinstance(e.get("node"), dict)]
    return []


def customer_payload(node: dict[str, Any]) -> dict[str, Any] | None:
    """customers/update's body for a Customer."""
    number = _number(node)
    if number is None:
        return None
    body: dict[str, Any] = {
        "id": number,
        "admin_graphql_api_id": node.get("id"),
        "email": node.get("email"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
    }
    if "locale" in node:
        body["locale"] = node.get("locale")
    if isinstance(node.get("tags"), list):
        body["tags"] = ", ".join(str(tag) for tag in node["tags"])
    if node.get("numberOfOrders") is not None:
        body["orders_count"] = int(node["numberOfOrders"])
    spent = node.get("amountSpent")
    if isinstance(spent, dict) and spent.get("amount") is not None:
        body["total_spent"] = str(spent["amount"])
    consent = node.get("emailMarketingConsent")
    if isinstance(consent, dict):
        body["email_marketing_consent"] = {
            "state": _lower(consent.get("marketingState")),
            "opt_in_level": _lower(consent.get("marketingOptInLevel")),
            "consent_updated_at": consent.get("consentUpdatedAt"),
        }
    return body


def _embedded_customer(node: Any) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    body = customer_payload(node)
    if body is None:
        return None
    # An embedded copy carries no version of its own (the handlers store it unversioned).
    body.pop("updated_at", None)
    body.pop("created_at", None)
    return body


def _line_item(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": legacy_id(node.get("id")),
        "title": node.get("title"),
        "variant_title": node.get("variantTitle"),
        "quantity": node.get("quantity"),
        "sku": node.get("sku"),
        "price": _amount(node.get("originalUnitPriceSet")),
        "product_id": legacy_id((node.get("product") or {}).get("id")),
        "variant_id": legacy_id((node.get("variant") or {}).get("id")),
    }


def order_payload(node: dict[str, Any]) -> dict[str, Any] | None:
    """orders/updated's body for an Order. GraphQL gives the discount codes without their
    amounts: the order's total discount goes to its one code (the shape every Boomerang
    reminder's order has), and is shared evenly between several."""
    number = _number(node)
    if number is None:
        return None
    codes = [str(code) for code in node.get("discountCodes") or []]
    total_discounts = _amount(node.get("totalDiscountsSet")) or "0.00"
    share = f"{float(total_discounts) / len(codes):.2f}" if codes else "0.00"
    return {
        "id": number,
        "admin_graphql_api_id": node.get("id"),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "checkout_token": node.get("checkoutToken"),
        "cart_token": node.get("cartToken"),
        "customer_locale": node.get("customerLocale"),
        "currency": node.get("currencyCode"),
        "financial_status": _lower(node.get("displayFinancialStatus")),
        "fulfillment_status": _FULFILLMENT_STATUS.get(str(node.get("displayFulfillmentStatus"))),
        "subtotal_price": _amount(node.get("subtotalPriceSet")),
        "total_price": _amount(node.get("totalPriceSet")),
        "total_discounts": total_discounts,
        "discount_codes": [{"code": code, "amount": share, "type": None} for code in codes],
        "customer": _embedded_customer(node.get("customer")),
        "line_items": [_line_item(item) for item in _nodes(node.get("lineItems"))],
        "fulfillments": [
            {
                "id": _number(f),
                "status": _lower(f.get("status")),
                "created_at": f.get("createdAt"),
                "updated_at": f.get("updatedAt"),
                "tracking_company": next(
                    (t.get("company") for t in f.get("trackingInfo") or [] if isinstance(t, dict)),
                    None,
                ),
            }
            for f in node.get("fulfillments") or []
            if isinstance(f, dict) and _number(f) is not None
        ],
    }


def checkout_token(url: Any) -> str | None:
    """The checkout's token, read from its abandonedCheckoutUrl (GraphQL has no token field on
    AbandonedCheckout; the REST body's `token` is the same value)."""
    found = _CHECKOUT_TOKEN_IN_URL.search(url) if isinstance(url, str) else None
    return found.group(1) if found else None


def checkout_payload(node: dict[str, Any]) -> dict[str, Any] | None:
    """checkouts/update's body for an AbandonedCheckout (None when its token cannot be known)."""
    number = legacy_id(node.get("id"))
    token = checkout_token(node.get("abandonedCheckoutUrl"))
    if number is None or token is None:
        return None
    customer = node.get("customer")
    return {
        "id": number,
        "token": token,
        "name": node.get("name"),
        "email": (customer or {}).get("email") if isinstance(customer, dict) else None,
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "completed_at": node.get("completedAt"),
        "abandoned_checkout_url": node.get("abandonedCheckoutUrl"),
        "currency": _currency(node.get("totalPriceSet")),
        "presentment_currency": _currency(node.get("totalPriceSet"), "presentmentMoney"),
        "customer_locale": (customer or {}).get("locale") if isinstance(customer, dict) else None,
        "subtotal_price": _amount(node.get("subtotalPriceSet")),
        "total_price": _amount(node.get("totalPriceSet")),
        "discount_codes": [{"code": str(c)} for c in node.get("discountCodes") or []],
        "customer": _embedded_customer(customer),
        "line_items": [_line_item(item) for item in _nodes(node.get("lineItems"))],
    }
