"""Plain types the Admin API client and its callers share (no HTTP here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ShopRef:
    """Which shop a call is for: our row id and its *.myshopify.com domain."""

    id: int
    domain: str


# The auth branch's `access_token_for` fits here: a usable (refreshed) offline token.
TokenProvider = Callable[[ShopRef], Awaitable[str]]
# Called when Shopify answers 401 to `rejected`: True when a fresh token is now available
# (another worker's refresh, or one of its own) and the call may be retried once; otherwise
# it marks the shop's token invalid and answers False.
UnauthorizedHandler = Callable[[ShopRef, str], Awaitable[bool]]


def customer_gid(shopify_customer_id: int) -> str:
    return f"gid://shopify/Customer/{shopify_customer_id}"


@dataclass(frozen=True)
class ShopTokens:
    """How jobs get a shop's token: plugged in at start-up (the auth branch's provider)."""

    provider: TokenProvider
    on_unauthorized: UnauthorizedHandler | None = None


@dataclass(frozen=True)
class ProductCard:
    """What an email shows of a product: its name, page, picture and price (read by
    app/shopify/admin/products.py; plain so the scenarios can hold it)."""

    product_id: int
    title: str
    url: str
    image_url: str | None
    price: Decimal
    # The variants cost different amounts: the email says "from {price}".
    price_varies: bool
    currency: str
