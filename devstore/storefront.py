"""Simulated checkout: validates a discount code like Shopify's checkout, then creates the order."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from devstore.payloads import CENT, AppliedDiscount, LineItem, Payloads
from devstore.runtime import Runtime
from devstore.segments import is_member
from devstore.state import CodeDiscount, Customer, Shop

SHIPPING_PRICE = Decimal("10.00")


class CheckoutError(Exception):
    """The checkout refused the order or its discount code; `reason` is machine-readable."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class PlacedOrder:
    order: dict[str, Any]
    customer: Customer | None
    discount: CodeDiscount | None


class Storefront:
    """The buyer-facing side of every shop: customers appear, codes are redeemed, orders made."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def payloads(self, shop: Shop, token_hex: Callable[[int], str] = secrets.token_hex) -> Payloads:
        return Payloads(shop, self.runtime.store.ids, token_hex)

    def ensure_customer(
        self,
        shop: Shop,
        email: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        locale: str = "en",
        accepts_marketing: bool = False,
        at: datetime | None = None,
    ) -> tuple[Customer, bool]:
        """The shop's customer with this email, created when new; the flag says it was created."""
        found = shop.customer_by_email(email)
        if found is not None:
            return found, False
        now = at or self.runtime.clock.now()
        customer = Customer(
            id=self.runtime.store.ids.next(),
            email=email,
            first_name=first_name,
            last_name=last_name,
            created_at=now,
            updated_at=now,
            locale=locale,
            marketing_state="SUBSCRIBED" if accepts_marketing else "NOT_SUBSCRIBED",
            marketing_opt_in_level="SINGLE_OPT_IN" if accepts_marketing else None,
            consent_updated_at=now if accepts_marketing else None,
        )
        shop.customers[customer.id] = customer
        return customer, True

    def check_code(
        self,
        shop: Shop,
        code: str,
        *,
        customer: Customer | None,
        email: str | None,
        line_items: list[LineItem],
        at: datetime,
    ) -> tuple[CodeDiscount, AppliedDiscount]:
        """Shopify's checkout rules for one code; raises CheckoutError when the code can't apply."""
        shop.settle(self.runtime.clock.monotonic(), self.runtime.store.ids)
        found = shop.find_code(code)
        if found is None:
            raise CheckoutError("not_found", "Enter a valid discount code")
        discount, redeem = found
        status = discount.status(at)
        if status == "SCHEDULED":
            raise CheckoutError("not_active", f"{redeem.code} discount code isn't active yet")
        if status == "EXPIRED":
            raise CheckoutError("expired", f"{redeem.code} discount code has expired")
        # Per redeem code, as Shopify counts them (a pool discount's 500 codes each get the limit).
        if discount.usage_limit is not None and redeem.usage_count >= discount.usage_limit:
            raise CheckoutError(
                "usage_limit_reached", f"{redeem.code} discount code has reached its usage limit"
            )
        if discount.customer_ids is not None and (
            customer is None or customer.id not in discount.customer_ids
        ):
            raise CheckoutError(
                "customer_not_eligible",
                f"{redeem.code} discount code isn't valid for this customer",
            )
        if discount.segment_ids is not None and not _in_segments(shop, discount, customer):
            raise CheckoutError(
                "customer_not_eligible",
                f"{redeem.code} discount code isn't valid for this customer",
            )
        buyer_key = _buyer_key(customer, email)
        if discount.applies_once_per_customer and buyer_key in redeem.redeemed_by:
            raise CheckoutError(
                "once_per_customer", f"{redeem.code} discount code has already been used"
            )
        subtotal = sum((item.total for item in line_items), Decimal(0))
        if discount.minimum_subtotal is not None and subtotal < discount.minimum_subtotal:
            raise CheckoutError(
                "minimum_not_met",
                f"{redeem.code} discount code requires a minimum purchase of "
                f"{discount.minimum_subtotal} {shop.currency}",
            )
        quantity = sum(item.quantity for item in line_items)
        if discount.minimum_quantity is not None and quantity < discount.minimum_quantity:
            raise CheckoutError(
                "minimum_not_met",
                f"{redeem.code} discount code requires {discount.minimum_quantity} items",
            )
        return discount, _applied(discount, redeem.code, subtotal, quantity)

    def place_order(
        self,
        shop: Shop,
        *,
        email: str | None,
        line_items: list[LineItem],
        customer: Customer | None = None,
        discount_code: str | None = None,
        checkout_token: str | None = None,
        cart_token: str | None = None,
        locale: str | None = None,
        at: datetime | None = None,
        token_hex: Callable[[int], str] = secrets.token_hex,
        browser_ip: str | None = None,
        shipping_address: dict[str, Any] | None = None,
    ) -> PlacedOrder:
        """Create an order (orders/create body), applying and counting `discount_code`."""
        if not line_items:
            raise CheckoutError("empty_cart", "Your cart is empty")
        moment = at or self.runtime.clock.now()
        buyer = customer
        if buyer is None and email:
            buyer, _created = self.ensure_customer(shop, email, locale=locale or "en", at=moment)
        discount: CodeDiscount | None = None
        applied: AppliedDiscount | None = None
        if discount_code:
            discount, applied = self.check_code(
                shop,
                discount_code,
                customer=buyer,
                email=email,
                line_items=line_items,
                at=moment,
            )
        number = 1001 + len(shop.orders)
        order = self.payloads(shop, token_hex).order(
            customer=buyer,
            email=email,
            line_items=line_items,
            at=moment,
            number=number,
            discount=applied,
            checkout_token=checkout_token,
            cart_token=cart_token,
            locale=locale or (buyer.locale if buyer else "en"),
            shipping=SHIPPING_PRICE,
            **({"browser_ip": browser_ip} if browser_ip else {}),
            shipping_address=shipping_address,
        )
        if discount is not None and applied is not None:
            found = shop.find_code(applied.code)
            key = _buyer_key(buyer, email)
            if found is not None:
                found[1].usage_count += 1
                if key is not None:
                    found[1].redeemed_by.append(key)
            if key is not None:
                discount.redeemed_by.append(key)
        if buyer is not None:
            buyer.orders_count += 1
            buyer.total_spent += Decimal(order["total_price"])
            buyer.updated_at = moment
        shop.orders[int(order["id"])] = order
        return PlacedOrder(order=order, customer=buyer, discount=discount)


def _in_segments(shop: Shop, discount: CodeDiscount, customer: Customer | None) -> bool:
    """A segment-restricted code needs a known customer of one of its segments, evaluated as
    they are at checkout (a first-time buyers' segment: no order yet)."""
    if customer is None or discount.segment_ids is None:
        return False
    return any(
        is_member(shop.segments[number].query, customer)
        for number in discount.segment_ids
        if number in shop.segments
    )


def _buyer_key(customer: Customer | None, email: str | None) -> int | str | None:
    if customer is not None:
        return customer.id
    return email.lower() if email else None


def _applied(
    discount: CodeDiscount, code: str, subtotal: Decimal, quantity: int
) -> AppliedDiscount:
    if discount.kind == "free_shipping":
        cap = discount.maximum_shipping_price
        amount = SHIPPING_PRICE if cap is None or cap >= SHIPPING_PRICE else Decimal(0)
        return AppliedDiscount(code, amount, "shipping", Decimal(100))
    if discount.percentage is not None:
        percent = Decimal(str(discount.percentage)) * 100
        amount = (subtotal * Decimal(str(discount.percentage))).quantize(CENT, ROUND_HALF_UP)
        return AppliedDiscount(code, amount, "percentage", percent)
    fixed = discount.amount or Decimal(0)
    amount = fixed * quantity if discount.applies_on_each_item else fixed
    return AppliedDiscount(code, min(amount, subtotal), "fixed_amount", fixed)
