"""What the code services need from Shopify, as a protocol: the services stay free of HTTP and
tests or other transports can stand in. app/shopify/admin/discounts.py implements it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.codes.offers import DiscountSpec
from app.shopify.admin.types import ShopRef


@dataclass(frozen=True)
class CreatedDiscount:
    discount_id: str


@dataclass(frozen=True)
class DiscountRejected:
    """Shopify's userErrors for a create; `code_taken` when the code already exists."""

    messages: tuple[str, ...]
    code_taken: bool


@dataclass(frozen=True)
class BulkCreationStatus:
    done: bool
    imported: int
    failed: int
    # Codes that failed, with Shopify's error code (TAKEN for a code that already exists).
    failures: tuple[tuple[str, str], ...] = ()


class DiscountGateway(Protocol):
    async def create_discount(
        self, shop: ShopRef, spec: DiscountSpec
    ) -> CreatedDiscount | DiscountRejected: ...

    async def find_discount_by_code(self, shop: ShopRef, code: str) -> str | None:
        """The id of the code discount holding `code`, or None."""
        ...

    async def discount_status(self, shop: ShopRef, discount_id: str) -> str | None:
        """Shopify's DiscountStatus of the code discount (ACTIVE, EXPIRED: ended or
        deactivated, SCHEDULED), or None when it is gone (the merchant deleted it)."""
        ...

    async def add_codes(self, shop: ShopRef, discount_id: str, codes: Sequence[str]) -> str:
        """Queue codes onto a discount (at most 250); return the bulk creation's id."""
        ...

    async def bulk_creation(
        self, shop: ShopRef, bulk_id: str, *, with_failures: bool
    ) -> BulkCreationStatus: ...
