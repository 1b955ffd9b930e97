"""What a code gives and to whom: the merchant's offer, and the discount Shopify is asked for."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


class CodePurpose(enum.StrEnum):
    CART_RECOVERY = "cart_recovery"
    LOYALTY_REWARD = "loyalty_reward"
    REFERRAL_REWARD = "referral_reward"
    # An advocate's personal code, for their friends' first orders.
    REFERRAL_FRIEND = "referral_friend"
    WIN_BACK = "win_back"
    WELCOME = "welcome"
    REVIEW_REWARD = "review_reward"


class ValueType(enum.StrEnum):
    PERCENTAGE = "percentage"  # value in (0, 1]: 0.1 is 10 % off
    FIXED_AMOUNT = "fixed_amount"  # value in the shop's currency
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True)
class CombinesWith:
    """Which other discounts an order may stack with this one (the merchant's setting)."""

    order_discounts: bool = False
    product_discounts: bool = False
    shipping_discounts: bool = False

    def as_dict(self) -> dict[str, bool]:
        return {
            "orderDiscounts": self.order_discounts,
            "productDiscounts": self.product_discounts,
            "shippingDiscounts": self.shipping_discounts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, bool]) -> CombinesWith:
        return cls(
            order_discounts=bool(data.get("orderDiscounts")),
            product_discounts=bool(data.get("productDiscounts")),
            shipping_discounts=bool(data.get("shippingDiscounts")),
        )


@dataclass(frozen=True)
class Offer:
    """The merchant's configured reward: value, minimum subtotal, lifetime, stacking."""

    title: str
    value_type: ValueType
    value: Decimal | None = None
    minimum_subtotal: Decimal | None = None
    valid_for: timedelta | None = timedelta(days=14)
    combines_with: CombinesWith = CombinesWith()
    # Uses of the code in all; None for a code many buyers share (a referral code), each
    # still once (`once_per_customer` on the spec).
    usage_limit: int | None = 1

    def __post_init__(self) -> None:
        if self.value_type == ValueType.PERCENTAGE and not (
            self.value is not None and Decimal(0) < self.value <= Decimal(1)
        ):
            raise ValueError("a percentage offer's value is a fraction in (0, 1], e.g. 0.15")
        if self.value_type == ValueType.FIXED_AMOUNT and not (
            self.value is not None and self.value > 0
        ):
            raise ValueError("a fixed-amount offer needs a positive value")

    def ends_at(self, starts_at: datetime) -> datetime | None:
        return None if self.valid_for is None else starts_at + self.valid_for


@dataclass(frozen=True)
class Recipient:
    """Who the code is for. With a Shopify customer id the code is restricted to them."""

    customer_id: int | None = None  # our customers.id
    customer_gid: str | None = None  # gid://shopify/Customer/…
    email: str | None = None
    # gid://shopify/Segment/…: the code is for the customers of that segment (a referral
    # code: first-time buyers only).
    customer_segment_gid: str | None = None


@dataclass(frozen=True)
class DiscountSpec:
    """One code discount as Shopify is asked to create it."""

    code: str
    title: str
    value_type: ValueType
    value: Decimal | None
    minimum_subtotal: Decimal | None
    starts_at: datetime
    ends_at: datetime | None
    combines_with: CombinesWith
    # None: any customer. Per-code usage limit (Shopify applies it to each redeem code).
    customer_gids: tuple[str, ...] | None
    usage_limit: int | None = 1
    once_per_customer: bool = True
    # Customer segments the code is restricted to (Shopify's context.customerSegments).
    customer_segment_gids: tuple[str, ...] | None = None
