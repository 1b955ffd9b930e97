"""Webhook payload builders: Shopify's sample bodies (fixtures/) with varying fields filled in."""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from devstore.state import Customer, IdSequence, Shop

CENT = Decimal("0.01")


@cache
def _fixture_text(name: str) -> str:
    return (resources.files("devstore") / "fixtures" / f"{name}.json").read_text("utf-8")


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of one sample payload (`orders_create`, `checkouts_update`, ...)."""
    loaded: dict[str, Any] = json.loads(_fixture_text(name))
    return loaded


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LineItem:
    """One product variant in a cart or an order."""

    title: str
    price: Decimal
    product_id: int
    variant_id: int
    quantity: int = 1
    variant_title: str | None = None
    sku: str = ""
    vendor: str = "Devstore"
    grams: int = 300

    @property
    def total(self) -> Decimal:
        return self.price * self.quantity


CATALOG: tuple[LineItem, ...] = (
    LineItem("Linen Shirt", Decimal("58.00"), 632910392, 808950810, 1, "Sand / M", "LIN-SAND-M"),
    LineItem("Merino Beanie", Decimal("32.00"), 632910393, 808950811, 1, "Charcoal", "MER-CHA"),
    LineItem("Canvas Tote", Decimal("24.00"), 632910394, 808950812, 1, None, "TOTE-NAT"),
    LineItem("Trail Sneakers", Decimal("129.00"), 632910395, 808950813, 1, "42", "TRL-42"),
    LineItem("Wool Socks (3-pack)", Decimal("19.50"), 632910396, 808950814, 1, None, "SOCK-3"),
    LineItem("Rain Jacket", Decimal("189.00"), 632910397, 808950815, 1, "Olive / L", "RJ-OLV-L"),
    LineItem("Ceramic Mug", Decimal("16.00"), 632910398, 808950816, 1, None, "MUG-WHT"),
    LineItem("Leather Wallet", Decimal("74.00"), 632910399, 808950817, 1, "Tan", "WAL-TAN"),
)


@dataclass(frozen=True)
class AppliedDiscount:
    """A discount code as it lands on an order's `discount_codes`."""

    code: str
    amount: Decimal
    type: str  # "percentage", "fixed_amount" or "shipping"
    value: Decimal  # the percentage (e.g. 10.0) or the fixed amount


def _money_set(amount: Decimal | str, currency: str) -> dict[str, Any]:
    text = amount if isinstance(amount, str) else cents(amount)
    return {
        "shop_money": {"amount": text, "currency_code": currency},
        "presentment_money": {"amount": text, "currency_code": currency},
    }


def consent_block(customer: Customer, shop_time: str | None) -> dict[str, Any]:
    """`email_marketing_consent`: `opt_in_level` is the level the customer gave when consenting
    (CustomerEmailMarketingConsentState.marketingOptInLevel), so one who never subscribed has
    none (null), not the fixtures' `single_opt_in`."""
    level = customer.marketing_opt_in_level
    return {
        "state": customer.marketing_state.lower(),
        "opt_in_level": level.lower() if level else None,
        "consent_updated_at": shop_time,
    }


class Payloads:
    """Builds one shop's webhook bodies in exactly the fixtures' shape."""

    def __init__(
        self, shop: Shop, ids: IdSequence, token_hex: Callable[[int], str] = secrets.token_hex
    ) -> None:
        self.shop = shop
        self.ids = ids
        # Seeded traffic passes its own source so the same seed gives the same bodies.
        self.token_hex = token_hex

    def time(self, moment: datetime) -> str:
        """A timestamp as Shopify writes it in REST payloads: the shop's zone, explicit offset."""
        local = moment.astimezone(ZoneInfo(self.shop.iana_timezone))
        return local.replace(microsecond=0).isoformat()

    # -- customers --------------------------------------------------------------------------

    def customer(self, customer: Customer) -> dict[str, Any]:
        body = fixture("customers_create")
        self._fill_customer(body, customer)
        body["note"] = None
        body["orders_count"] = customer.orders_count
        body["total_spent"] = cents(customer.total_spent)
        body["tags"] = ", ".join(customer.tags)
        body["addresses"] = [body["default_address"]]
        return body

    def _fill_customer(self, body: dict[str, Any], customer: Customer) -> None:
        body["id"] = customer.id
        body["admin_graphql_api_id"] = customer.gid
        body["email"] = customer.email
        body["first_name"] = customer.first_name
        body["last_name"] = customer.last_name
        body["created_at"] = self.time(customer.created_at)
        body["updated_at"] = self.time(customer.updated_at)
        body["currency"] = self.shop.currency
        consent_at = customer.consent_updated_at
        body["email_marketing_consent"] = (
            consent_block(customer, self.time(consent_at) if consent_at else None)
            if customer.email
            else None
        )
        address = body.get("default_address")
        if isinstance(address, dict):
            address["id"] = customer.id + 1
            address["customer_id"] = customer.id
            address["first_name"] = customer.first_name
            address["last_name"] = customer.last_name
            address["name"] = " ".join(p for p in (customer.first_name, customer.last_name) if p)

    def _embedded_customer(self, customer: Customer) -> dict[str, Any]:
        body = fixture("orders_create")["customer"]
        self._fill_customer(body, customer)
        return dict(body)

    # -- checkouts --------------------------------------------------------------------------

    def checkout(
        self,
        *,
        token: str,
        cart_token: str,
        email: str | None,
        customer: Customer | None,
        line_items: list[LineItem],
        created_at: datetime,
        updated_at: datetime,
        locale: str = "en",
        completed_at: datetime | None = None,
        checkout_id: int | None = None,
    ) -> dict[str, Any]:
        body = fixture("checkouts_create")
        currency = self.shop.currency
        template = body["line_items"][0]
        items = []
        for item in line_items:
            line = copy.deepcopy(template)
            line.update(
                {
                    "key": self.token_hex(16),
                    "title": item.title,
                    "presentment_title": item.title,
                    "variant_title": item.variant_title,
                    "presentment_variant_title": item.variant_title,
                    "product_id": item.product_id,
                    "variant_id": item.variant_id,
                    "quantity": item.quantity,
                    "sku": item.sku,
                    "vendor": item.vendor,
                    "grams": item.grams,
                    "price": cents(item.price),
                    "variant_price": cents(item.price),
                    "line_price": cents(item.total),
                }
            )
            items.append(line)
        subtotal = sum((item.total for item in line_items), Decimal(0))
        number = checkout_id if checkout_id is not None else self.ids.next()
        body.update(
            {
                "id": number,
                "token": token,
                "cart_token": cart_token,
                "email": email,
                "created_at": self.time(created_at),
                "updated_at": self.time(updated_at),
                "completed_at": self.time(completed_at) if completed_at else None,
                "currency": currency,
                "presentment_currency": currency,
                "customer_locale": locale,
                "line_items": items,
                "name": f"#{number}",
                "abandoned_checkout_url": (
                    f"https://{self.shop.domain}/{self.shop.id}/checkouts/{token}/recover"
                    f"?key={self.token_hex(16)}"
                ),
                "total_line_items_price": cents(subtotal),
                "subtotal_price": cents(subtotal),
                "total_price": cents(subtotal),
                "total_discounts": "0.00",
                "total_weight": sum(item.grams * item.quantity for item in line_items),
                "buyer_accepts_marketing": bool(
                    customer and customer.marketing_state == "SUBSCRIBED"
                ),
            }
        )
        body["customer"] = None if customer is None else self._embedded_customer(customer)
        return body

    # -- orders -----------------------------------------------------------------------------

    def order(
        self,
        *,
        customer: Customer | None,
        email: str | None,
        line_items: list[LineItem],
        at: datetime,
        number: int,
        discount: AppliedDiscount | None = None,
        checkout_token: str | None = None,
        cart_token: str | None = None,
        locale: str = "en",
        shipping: Decimal = Decimal("10.00"),
        browser_ip: str = "203.0.113.7",
        shipping_address: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = fixture("orders_create")
        currency = self.shop.currency
        order_id = self.ids.next()
        template = body["line_items"][0]
        subtotal_before = sum((item.total for item in line_items), Decimal(0))
        order_discount = Decimal(0)
        shipping_discount = Decimal(0)
        if discount is not None and discount.type == "shipping":
            shipping_discount = min(discount.amount, shipping)
        elif discount is not None:
            order_discount = min(discount.amount, subtotal_before)
        lines = []
        remaining = order_discount
        for index, item in enumerate(line_items):
            line = copy.deepcopy(template)
            # Spread the order-level discount over the lines, the remainder on the last one.
            share = (
                remaining
                if index == len(line_items) - 1
                else (order_discount * item.total / subtotal_before).quantize(CENT)
                if subtotal_before
                else Decimal(0)
            )
            remaining -= share
            line_id = self.ids.next()
            line.update(
                {
                    "id": line_id,
                    "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
                    "current_quantity": item.quantity,
                    "fulfillable_quantity": item.quantity,
                    "grams": item.grams,
                    "name": f"{item.title} - {item.variant_title}"
                    if item.variant_title
                    else item.title,
                    "price": cents(item.price),
                    "price_set": _money_set(item.price, currency),
                    "product_id": item.product_id,
                    "quantity": item.quantity,
                    "sku": item.sku,
                    "title": item.title,
                    "total_discount": "0.00",
                    "total_discount_set": _money_set(Decimal(0), currency),
                    "variant_id": item.variant_id,
                    "variant_title": item.variant_title,
                    "vendor": item.vendor,
                    "discount_allocations": (
                        [
                            {
                                "amount": cents(share),
                                "amount_set": _money_set(share, currency),
                                "discount_application_index": 0,
                            }
                        ]
                        if discount is not None and discount.type != "shipping"
                        else []
                    ),
                }
            )
            lines.append(line)
        subtotal = subtotal_before - order_discount
        shipping_paid = shipping - shipping_discount
        total = subtotal + shipping_paid
        total_discounts = order_discount + shipping_discount
        token = self.token_hex(16)
        body.update(
            {
                "id": order_id,
                "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
                "browser_ip": browser_ip,
                "buyer_accepts_marketing": bool(
                    customer and customer.marketing_state == "SUBSCRIBED"
                ),
                "cart_token": cart_token,
                "checkout_token": checkout_token,
                "checkout_id": None,
                "confirmation_number": self.token_hex(5).upper()[:9],
                "confirmed": True,
                "contact_email": email,
                "email": email,
                "created_at": self.time(at),
                "updated_at": self.time(at),
                "processed_at": self.time(at),
                "currency": currency,
                "presentment_currency": currency,
                "customer_locale": locale,
                "financial_status": "paid",
                "fulfillment_status": None,
                "name": f"#{number}",
                "number": number - 1000,
                "order_number": number,
                "order_status_url": (
                    f"https://{self.shop.domain}/{self.shop.id}/orders/{token}/authenticate"
                    f"?key={self.token_hex(16)}"
                ),
                "tags": "",
                "test": False,
                "token": token,
                "line_items": lines,
                "fulfillments": [],
                "refunds": [],
                "total_weight": sum(item.grams * item.quantity for item in line_items),
            }
        )
        money_fields = {
            "current_subtotal_price": subtotal,
            "current_total_discounts": total_discounts,
            "current_total_price": total,
            "current_total_tax": Decimal(0),
            "subtotal_price": subtotal,
            "total_discounts": total_discounts,
            "total_line_items_price": subtotal_before,
            "total_price": total,
            "total_tax": Decimal(0),
        }
        for key, amount in money_fields.items():
            body[key] = cents(amount)
            body[f"{key}_set"] = _money_set(amount, currency)
        body["total_outstanding"] = "0.00"
        if shipping_address is not None:
            # The buyer's own address (the sample's fields they did not give stay).
            body["shipping_address"] = {**(body.get("shipping_address") or {}), **shipping_address}
        body["total_shipping_price_set"] = _money_set(shipping_paid, currency)
        shipping_line = body["shipping_lines"][0]
        shipping_line.update(
            {
                "id": self.ids.next(),
                "price": cents(shipping),
                "price_set": _money_set(shipping, currency),
                "discounted_price": cents(shipping_paid),
                "discounted_price_set": _money_set(shipping_paid, currency),
            }
        )
        if discount is None:
            body["discount_codes"] = []
            body["discount_applications"] = []
        else:
            body["discount_codes"] = [
                {"code": discount.code, "amount": cents(discount.amount), "type": discount.type}
            ]
            body["discount_applications"] = [
                {
                    "target_type": "shipping_line" if discount.type == "shipping" else "line_item",
                    "type": "discount_code",
                    "value": cents(discount.value)
                    if discount.type != "percentage"
                    else f"{discount.value:.1f}",
                    "value_type": "percentage"
                    if discount.type in {"percentage", "shipping"}
                    else "fixed_amount",
                    "allocation_method": "across",
                    "target_selection": "all",
                    "code": discount.code,
                }
            ]
        body["customer"] = None if customer is None else self._embedded_customer(customer)
        return body

    def order_update(self, order: dict[str, Any], at: datetime) -> dict[str, Any]:
        body = copy.deepcopy(order)
        body["updated_at"] = self.time(at)
        return body

    def order_edit(
        self, order: dict[str, Any], added: dict[int, int], at: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A committed order edit adding `added[line item id]` units to existing lines: the
        order as orders/updated then carries it (quantities, `current_*` and subtotal and
        total amounts grown by the added units' price), and the orders/edited body, which
        holds the edit only (its id, the order's id, the line items changed with their
        delta), as Shopify's webhook reference shows it."""
        body = self.order_update(order, at)
        currency = self.shop.currency
        extra = Decimal(0)
        for line in body["line_items"]:
            units = added.get(int(line["id"]), 0)
            if units:
                line["quantity"] += units
                line["current_quantity"] = line.get("current_quantity", 0) + units
                line["fulfillable_quantity"] = line.get("fulfillable_quantity", 0) + units
                extra += Decimal(line["price"]) * units
        for key in (
            "current_subtotal_price",
            "current_total_price",
            "subtotal_price",
            "total_line_items_price",
            "total_price",
        ):
            amount = Decimal(body[key]) + extra
            body[key] = cents(amount)
            body[f"{key}_set"] = _money_set(amount, currency)
        edit_id = self.ids.next()
        edit = {
            "order_edit": {
                "id": edit_id,
                "app_id": None,
                "created_at": self.time(at),
                "committed_at": self.time(at),
                "notify_customer": False,
                "order_id": order["id"],
                "staff_note": "",
                "user_id": None,
                "line_items": {
                    "additions": [
                        {"id": line_id, "delta": units} for line_id, units in added.items()
                    ],
                    "removals": [],
                },
                "discounts": {"line_item": {"additions": [], "removals": []}},
                "shipping_lines": {"additions": [], "removals": []},
            }
        }
        return body, edit

    def order_fulfilled(self, order: dict[str, Any], at: datetime) -> dict[str, Any]:
        body = self.order_update(order, at)
        template = fixture("orders_fulfilled")["fulfillments"][0]
        fulfillment_id = self.ids.next()
        template.update(
            {
                "id": fulfillment_id,
                "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
                "created_at": self.time(at),
                "updated_at": self.time(at),
                "name": f"{order['name']}.1",
                "order_id": order["id"],
                "line_items": copy.deepcopy(order["line_items"]),
            }
        )
        for line in body["line_items"]:
            line["fulfillment_status"] = "fulfilled"
            line["fulfillable_quantity"] = 0
        body["fulfillment_status"] = "fulfilled"
        body["fulfillments"] = [template]
        return body

    def fulfillment_delivered(
        self, order: dict[str, Any], at: datetime, *, event_id: int | None = None
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """A carrier reports the order's first shipment delivered: the order as stored after
        it (its fulfillment's `shipment_status` is `delivered`), the fulfillment_events/create
        body and the fulfillments/update body.

        The bodies are the REST resources as Shopify documents them: a FulfillmentEvent
        (shopify.dev/docs/api/admin-rest/latest/resources/fulfillmentevent: id,
        fulfillment_id, status, message, happened_at, city, province, country, zip, address1,
        latitude, longitude, shop_id, created_at, updated_at, estimated_delivery_at, order_id,
        admin_graphql_api_id; `status` among label_printed, label_purchased,
        attempted_delivery, ready_for_pickup, confirmed, in_transit, out_for_delivery,
        delivered, failure) and the Fulfillment (…/resources/fulfillment), whose
        `shipment_status` takes the latest event's status."""
        body = self.order_update(order, at)
        fulfillments = body.get("fulfillments") or []
        if not fulfillments:
            raise ValueError(f"order {order.get('id')} has no fulfillment to deliver")
        fulfillment = fulfillments[0]
        fulfillment["shipment_status"] = "delivered"
        fulfillment["updated_at"] = self.time(at)
        event_id = event_id if event_id is not None else self.ids.next()
        event = {
            "id": event_id,
            "fulfillment_id": fulfillment["id"],
            "status": "delivered",
            "message": None,
            "happened_at": self.time(at),
            "city": None,
            "province": None,
            "country": None,
            "zip": None,
            "address1": None,
            "latitude": None,
            "longitude": None,
            "shop_id": self.shop.id,
            "created_at": self.time(at),
            "updated_at": self.time(at),
            "estimated_delivery_at": None,
            "order_id": body["id"],
            "admin_graphql_api_id": f"gid://shopify/FulfillmentEvent/{event_id}",
        }
        return body, event, copy.deepcopy(fulfillment)

    def order_cancelled(
        self, order: dict[str, Any], at: datetime, reason: str = "customer"
    ) -> dict[str, Any]:
        body = self.order_update(order, at)
        body["cancelled_at"] = self.time(at)
        body["cancel_reason"] = reason
        body["financial_status"] = "refunded"
        return body

    def refund(
        self, order: dict[str, Any], at: datetime, *, note: str = "Things were damaged"
    ) -> dict[str, Any]:
        """A refund of the order's first line item (one unit), as refunds/create delivers it."""
        body = fixture("refunds_create")
        currency = self.shop.currency
        line = order["line_items"][0]
        refund_id = self.ids.next()
        amount = Decimal(line["price"])
        refund_line = body["refund_line_items"][0]
        refund_line.update(
            {
                "id": self.ids.next(),
                "line_item_id": line["id"],
                "quantity": 1,
                "subtotal": float(amount),
                "subtotal_set": _money_set(amount, currency),
                "line_item": copy.deepcopy(line),
            }
        )
        transaction = body["transactions"][0]
        transaction.update(
            {
                "id": self.ids.next(),
                "order_id": order["id"],
                "amount": cents(amount),
                "currency": currency,
                "created_at": self.time(at),
                "processed_at": self.time(at),
            }
        )
        body.update(
            {
                "id": refund_id,
                "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
                "order_id": order["id"],
                "created_at": self.time(at),
                "processed_at": self.time(at),
                "note": note,
                "refund_line_items": [refund_line],
                "transactions": [transaction],
            }
        )
        return body

    # -- shop and compliance ----------------------------------------------------------------

    def shop_body(self, at: datetime | None = None) -> dict[str, Any]:
        """The body of app/uninstalled and shop/update: the shop resource."""
        body = fixture("app_uninstalled")
        shop = self.shop
        body.update(
            {
                "id": shop.id,
                "name": shop.name,
                "email": shop.email,
                "customer_email": shop.email,
                "domain": shop.primary_domain_host,
                "myshopify_domain": shop.domain,
                "currency": shop.currency,
                "enabled_presentment_currencies": [shop.currency],
                "iana_timezone": shop.iana_timezone,
                "created_at": self.time(shop.created_at),
                "updated_at": self.time(at or shop.created_at),
                "plan_name": shop.plan,
            }
        )
        address = shop.address
        if address is not None:
            # The same address as the Admin API's Shop.shopAddress, in the REST shop's fields.
            body.update(
                {
                    "address1": address.address1,
                    "address2": address.address2,
                    "city": address.city,
                    "zip": address.zip,
                    "province": address.province,
                    "province_code": address.province_code,
                    "country": address.country_code,
                    "country_code": address.country_code,
                    "country_name": address.country,
                    "phone": address.phone,
                }
            )
        return body

    def customers_data_request(
        self, customer: Customer, order_ids: list[int], request_id: int
    ) -> dict[str, Any]:
        body = fixture("customers_data_request")
        body.update({"shop_id": self.shop.id, "shop_domain": self.shop.domain})
        body["customer"] = {"id": customer.id, "email": customer.email, "phone": None}
        body["orders_requested"] = order_ids
        body["data_request"] = {"id": request_id}
        return body

    def customers_redact(self, customer: Customer, order_ids: list[int]) -> dict[str, Any]:
        body = fixture("customers_redact")
        body.update({"shop_id": self.shop.id, "shop_domain": self.shop.domain})
        body["customer"] = {"id": customer.id, "email": customer.email, "phone": None}
        body["orders_to_redact"] = order_ids
        return body

    def shop_redact(self) -> dict[str, Any]:
        body = fixture("shop_redact")
        body.update({"shop_id": self.shop.id, "shop_domain": self.shop.domain})
        return body
