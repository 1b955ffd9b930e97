"""In-memory state of every simulated shop: facts, customers, discounts, metafields, tokens, orders.

Everything runs on one event loop, so plain dicts suffice; no method awaits while it mutates.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

# The handle is one DNS label: at most 63 characters.
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]{0,62}\.myshopify\.com$")

DiscountKind = Literal["basic", "free_shipping"]


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value: str, kind: str) -> int | None:
    """The numeric id of `gid://shopify/{kind}/{n}`, or None when it is not one."""
    prefix = f"gid://shopify/{kind}/"
    if not value.startswith(prefix):
        return None
    tail = value[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


class IdSequence:
    """Shopify-looking numeric ids, unique across the whole simulator."""

    def __init__(self, start: int = 7_100_000_000_000) -> None:
        self._counter = itertools.count(start)

    def next(self) -> int:
        return next(self._counter)


@dataclass
class Customer:
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime
    locale: str = "en"
    tags: list[str] = field(default_factory=list)
    marketing_state: str = "NOT_SUBSCRIBED"
    marketing_opt_in_level: str | None = None
    consent_updated_at: datetime | None = None
    orders_count: int = 0
    total_spent: Decimal = Decimal("0.00")

    @property
    def gid(self) -> str:
        return gid("Customer", self.id)


@dataclass
class StoreCreditTransaction:
    """A credit transaction of a store credit account (storeCreditAccountCredit)."""

    id: int
    amount: Decimal
    balance_after: Decimal
    created_at: datetime
    expires_at: datetime | None

    @property
    def gid(self) -> str:
        return gid("StoreCreditAccountCreditTransaction", self.id)


@dataclass
class StoreCreditAccount:
    """A customer's store credit in one currency: an owner holds one account per currency."""

    id: int
    owner_id: int
    currency: str
    balance: Decimal = Decimal("0.00")
    transactions: list[StoreCreditTransaction] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("StoreCreditAccount", self.id)


@dataclass
class Segment:
    """A customer segment (segmentCreate): its ShopifyQL query, a conjunction of the filters
    the simulator evaluates (segments.py)."""

    id: int
    name: str
    query: str
    creation_date: datetime

    @property
    def gid(self) -> str:
        return gid("Segment", self.id)


@dataclass
class RedeemCode:
    """One code of a discount. Shopify tracks the discount's usage limit and its
    once-per-customer rule per redeem code, not across the discount's codes."""

    id: int
    code: str
    usage_count: int = 0
    redeemed_by: list[int | str] = field(default_factory=list)


@dataclass
class CodeDiscount:
    """A code discount (DiscountCodeNode) with all its redeem codes."""

    id: int
    kind: DiscountKind
    title: str
    starts_at: datetime
    ends_at: datetime | None
    created_at: datetime
    codes: list[RedeemCode] = field(default_factory=list)
    usage_limit: int | None = None
    applies_once_per_customer: bool = False
    # None means every buyer; otherwise the ids of the customers allowed to use it.
    customer_ids: frozenset[int] | None = None
    # Customer segments (context.customerSegments): a buyer must belong to one of them.
    segment_ids: frozenset[int] | None = None
    percentage: float | None = None
    amount: Decimal | None = None
    applies_on_each_item: bool = False
    minimum_subtotal: Decimal | None = None
    minimum_quantity: int | None = None
    maximum_shipping_price: Decimal | None = None
    combines_with: dict[str, bool] = field(
        default_factory=lambda: {
            "orderDiscounts": False,
            "productDiscounts": False,
            "shippingDiscounts": False,
        }
    )
    deactivated_at: datetime | None = None
    # Customer ids (or lower-cased emails of guests) that redeemed it, once per order.
    redeemed_by: list[int | str] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("DiscountCodeNode", self.id)

    @property
    def usage_count(self) -> int:
        return sum(code.usage_count for code in self.codes)

    def status(self, now: datetime) -> str:
        if self.deactivated_at is not None and self.deactivated_at <= now:
            return "EXPIRED"
        if self.ends_at is not None and self.ends_at <= now:
            return "EXPIRED"
        if self.starts_at > now:
            return "SCHEDULED"
        return "ACTIVE"


@dataclass
class BulkCreation:
    """One discountRedeemCodeBulkAdd job: it completes once `due` (monotonic) has passed."""

    id: int
    discount_id: int
    requested: list[str]
    created_at: datetime
    due: float
    done: bool = False
    # (code, redeem code id or None, [(error code, message)])
    results: list[tuple[str, int | None, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("DiscountRedeemCodeBulkCreation", self.id)


@dataclass
class Metafield:
    id: int
    owner_id: str
    namespace: str
    key: str
    type: str
    value: str
    created_at: datetime
    updated_at: datetime

    @property
    def gid(self) -> str:
        return gid("Metafield", self.id)


@dataclass
class Metaobject:
    """A metaobject entry: unique per (type, handle); fields by key (values as strings)."""

    id: int
    type: str
    handle: str
    fields: dict[str, str]
    updated_at: datetime

    @property
    def gid(self) -> str:
        return gid("Metaobject", self.id)


@dataclass
class ProductVariant:
    id: int
    product_id: int
    title: str
    price: Decimal
    sku: str = ""
    # The variant's own image; None falls back to the product's featured image (as Shopify
    # shows it), which the app must ask for itself.
    image_url: str | None = None

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.id)


@dataclass
class Product:
    id: int
    title: str
    handle: str
    featured_image_url: str | None
    created_at: datetime
    variants: dict[int, ProductVariant] = field(default_factory=dict)
    # ACTIVE products are on the Online Store (they have an onlineStoreUrl); DRAFT and
    # ARCHIVED ones are not.
    status: str = "ACTIVE"

    @property
    def gid(self) -> str:
        return gid("Product", self.id)


@dataclass
class WebhookSubscription:
    id: int
    topic: str
    uri: str
    format: str
    created_at: datetime
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None

    @property
    def gid(self) -> str:
        return gid("WebhookSubscription", self.id)


@dataclass
class BulkOperation:
    """One bulkOperationRunQuery: it runs once `due` (monotonic) has passed, and its JSONL result
    is then served by the simulator itself (Shopify hands out a signed storage URL)."""

    id: int
    query: str
    created_at: datetime
    due: float
    status: str = "CREATED"
    completed_at: datetime | None = None
    result: str = ""
    object_count: int = 0
    root_object_count: int = 0
    error_code: str | None = None

    @property
    def gid(self) -> str:
        return gid("BulkOperation", self.id)


@dataclass
class AccessToken:
    token: str
    shop: str
    scope: str
    expires_at: float | None  # monotonic; None for a non-expiring token
    online: bool = False
    user_id: int | None = None
    revoked: bool = False

    def valid(self, now: float) -> bool:
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class RefreshToken:
    token: str
    shop: str
    scope: str
    expires_at: float
    online: bool = False
    first_used_at: float | None = None
    # The refresh token issued when this one was used; once that one is used, this one retires.
    replaced_by: str | None = None
    retired: bool = False


@dataclass
class AuthorizationCode:
    code: str
    shop: str
    scope: str
    expires_at: float
    used: bool = False
    online: bool = False


# Where a country writes the postal code: before the city ("75011 Paris") or after the
# province ("Springfield IL 62701"). Shopify formats each country its own way; these are the
# two orders its formats for the simulator's countries use.
_ZIP_FIRST = frozenset({"FR", "DE", "ES", "IT", "BE", "NL", "CH", "AT", "LU", "PT", "DK", "SE"})


@dataclass
class ShopAddress:
    """The shop's address (Shop.shopAddress, formerly billingAddress)."""

    address1: str
    city: str
    zip: str
    country: str
    country_code: str
    company: str | None = None
    address2: str | None = None
    province: str | None = None
    province_code: str | None = None
    phone: str | None = None

    def formatted(self, *, with_company: bool = True) -> list[str]:
        """The address's lines in the country's order (ShopAddress.formatted)."""
        if self.country_code in _ZIP_FIRST:
            locality = f"{self.zip} {self.city}"
        else:
            locality = " ".join(p for p in (self.city, self.province_code, self.zip) if p)
        lines = [self.company if with_company else None, self.address1, self.address2]
        return [line for line in (*lines, locality, self.country) if line]

    def formatted_area(self) -> str:
        return ", ".join(p for p in (self.city, self.province, self.country) if p)


def default_shop_address(company: str, currency: str) -> ShopAddress:
    """A plausible address for a new dev store: in France for a shop selling in euros."""
    if currency == "EUR":
        return ShopAddress(
            company=company,
            address1="12 rue des Lilas",
            city="Paris",
            zip="75011",
            country="France",
            country_code="FR",
        )
    return ShopAddress(
        company=company,
        address1="100 Main Street",
        city="Springfield",
        province="Illinois",
        province_code="IL",
        zip="62701",
        country="United States",
        country_code="US",
    )


@dataclass
class Shop:
    """One dev store and everything in it."""

    domain: str
    id: int
    name: str
    email: str
    currency: str
    iana_timezone: str
    plan: str
    primary_domain_host: str
    created_at: datetime
    customers: dict[int, Customer] = field(default_factory=dict)
    discounts: dict[int, CodeDiscount] = field(default_factory=dict)
    segments: dict[int, Segment] = field(default_factory=dict)
    # Upper-cased code -> discount id: codes are unique per shop, case-insensitively.
    code_index: dict[str, int] = field(default_factory=dict)
    bulk_creations: dict[int, BulkCreation] = field(default_factory=dict)
    metafields: dict[tuple[str, str, str], Metafield] = field(default_factory=dict)
    # Metaobject definitions enabled from a standard template (their type), and the entries.
    metaobject_definitions: set[str] = field(default_factory=set)
    metaobjects: dict[tuple[str, str], Metaobject] = field(default_factory=dict)
    subscriptions: dict[int, WebhookSubscription] = field(default_factory=dict)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The latest checkouts/* body of each checkout, by token: what abandonedCheckouts lists.
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk_operations: dict[int, BulkOperation] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    installed: bool = False
    # The shop's enabled locales (shopLocales), the primary one first.
    locales: list[str] = field(default_factory=lambda: ["en"])
    # Set when the merchant removes the app, cleared when they install it again: until then
    # Shopify refuses to exchange the app's session tokens.
    uninstalled: bool = False
    # Set by add_shop (default_shop_address unless given).
    address: ShopAddress | None = None
    store_credit_accounts: dict[int, StoreCreditAccount] = field(default_factory=dict)
    # Optional scopes the merchant granted at runtime (App Bridge's scopes.request): they
    # belong to the app's installation on the shop, so every token of the shop carries them.
    granted_optional_scopes: set[str] = field(default_factory=set)

    @property
    def handle(self) -> str:
        return self.domain.removesuffix(".myshopify.com")

    @property
    def gid(self) -> str:
        return gid("Shop", self.id)

    def find_code(self, code: str) -> tuple[CodeDiscount, RedeemCode] | None:
        discount_id = self.code_index.get(code.upper())
        if discount_id is None:
            return None
        discount = self.discounts[discount_id]
        for redeem in discount.codes:
            if redeem.code.upper() == code.upper():
                return discount, redeem
        return None

    def variant(self, variant_id: int) -> ProductVariant | None:
        for product in self.products.values():
            found = product.variants.get(variant_id)
            if found is not None:
                return found
        return None

    def customer_by_email(self, email: str) -> Customer | None:
        wanted = email.lower()
        for customer in self.customers.values():
            if customer.email is not None and customer.email.lower() == wanted:
                return customer
        return None

    def remember(self, topic: str, payload: dict[str, Any]) -> None:
        """Keep the newest version (by updated_at) of an order or checkout the shop reported:
        the Admin API answers from it whether or not the webhook reached the app."""
        if topic.startswith("checkouts/") and isinstance(payload.get("token"), str):
            held: dict[str, Any] | None = self.checkouts.get(payload["token"])
            if held is None or str(held.get("updated_at")) <= str(payload.get("updated_at")):
                self.checkouts[payload["token"]] = payload
        elif topic.startswith("orders/") and isinstance(payload.get("id"), int):
            held = self.orders.get(payload["id"])
            if held is None or str(held.get("updated_at")) <= str(payload.get("updated_at")):
                self.orders[payload["id"]] = payload

    def add_code(self, discount: CodeDiscount, code: str, ids: IdSequence) -> RedeemCode:
        redeem = RedeemCode(id=ids.next(), code=code)
        discount.codes.append(redeem)
        self.code_index[code.upper()] = discount.id
        return redeem

    def delete_discount(self, discount_id: int) -> None:
        discount = self.discounts.pop(discount_id)
        for redeem in discount.codes:
            self.code_index.pop(redeem.code.upper(), None)

    def settle(self, now: float, ids: IdSequence) -> None:
        """Finish bulk code creations whose time has come (Shopify runs them as background jobs)."""
        for job in self.bulk_creations.values():
            if job.done or job.due > now:
                continue
            discount = self.discounts.get(job.discount_id)
            seen: set[str] = set()
            for code in job.requested:
                errors: list[tuple[str, str]] = []
                if not code.strip():
                    errors.append(("BLANK", "Code can't be blank"))
                elif len(code) > 255:
                    errors.append(("TOO_LONG", "Code is too long (maximum is 255 characters)"))
                elif code.upper() in self.code_index or code.upper() in seen:
                    errors.append(("TAKEN", "Code must be unique. Please try a different code."))
                elif discount is None:
                    errors.append(("INVALID", "Discount does not exist"))
                if errors or discount is None:
                    job.results.append((code, None, errors))
                    continue
                seen.add(code.upper())
                redeem = self.add_code(discount, code, ids)
                job.results.append((code, redeem.id, []))
            job.done = True


@dataclass
class RequestRecord:
    """One GraphQL call as the simulator saw it, for assertions and benchmarks."""

    shop: str
    at: float
    query: str
    variables: dict[str, Any]
    status: int
    requested_cost: int | None = None
    actual_cost: int | None = None
    throttled: bool = False
    errors: list[Any] = field(default_factory=list)
    # The injected edge failure that answered instead of the API (devstore/graphql/faults.py).
    fault: str | None = None


@dataclass
class Store:
    """All shops plus the app's credentials issued by the simulated Shopify."""

    ids: IdSequence = field(default_factory=IdSequence)
    shops: dict[str, Shop] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    authorization_codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    requests: list[RequestRecord] = field(default_factory=list)

    def shop(self, domain: str) -> Shop | None:
        return self.shops.get(domain.lower())
