"""Simulator state rendered as GraphQL results: dicts, with callables for fields taking args."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from graphql import GraphQLError, GraphQLResolveInfo

from devstore.clock import iso
from devstore.config import SimulatorConfig
from devstore.state import (
    BulkCreation,
    CodeDiscount,
    Customer,
    Metafield,
    Segment,
    Shop,
    WebhookSubscription,
)

if TYPE_CHECKING:
    Info = GraphQLResolveInfo[Any]
else:  # not subscriptable at runtime on every Python graphql-core supports
    Info = GraphQLResolveInfo

Item = TypeVar("Item")
MAX_PAGE_SIZE = 250


def require_scope(info: Info, needed: str) -> None:
    """Shopify's ACCESS_DENIED unless the installation was granted `needed`: the token's scopes
    and the optional ones the merchant granted since (a write_ scope grants its read_ scope
    too)."""
    granted = set(info.context.token.scope.split(",")) | info.context.shop.granted_optional_scopes
    if needed in granted or needed.replace("read_", "write_") in granted:
        return
    requirement = f"`{needed}` access scope."
    raise GraphQLError(
        f"Access denied for {info.field_name} field. Required access: {requirement}",
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": requirement,
        },
    )


def _store_credit_accounts(shop: Shop, customer: Customer) -> Callable[..., dict[str, Any]]:
    # Imported here: store_credit renders through this module.
    from devstore.graphql.store_credit import accounts_of

    resolve: Callable[..., dict[str, Any]] = accounts_of(shop, customer)
    return resolve


def cursor_for(number: int) -> str:
    return base64.b64encode(f"cursor:{number}".encode()).decode()


def connection(
    items: Sequence[Item],
    render: Callable[[Item], dict[str, Any]],
    key: Callable[[Item], int],
    *,
    first: int | None,
    last: int | None,
    after: str | None,
) -> dict[str, Any]:
    """A Relay connection page as Shopify serves it (first/last required, at most 250)."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    size = first if first is not None else last
    if size is None or size < 0 or size > MAX_PAGE_SIZE:
        raise GraphQLError(f"The first and last arguments must be between 0 and {MAX_PAGE_SIZE}")
    start = 0
    if after is not None:
        cursors = [cursor_for(key(item)) for item in items]
        start = cursors.index(after) + 1 if after in cursors else len(items)
    window = list(items[start:])
    page = window[:size] if first is not None else window[-size:] if size else []
    has_next = first is not None and len(window) > size
    has_previous = start > 0 or (last is not None and len(window) > size)
    nodes = [render(item) for item in page]
    cursors = [cursor_for(key(item)) for item in page]
    return {
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currencyCode": currency}


def resolve_namespace(namespace: str | None, config: SimulatorConfig) -> str:
    """Shopify's app-reserved namespace: `$app[:x]` becomes `app--{id}[--x]`."""
    if namespace is None or namespace == "$app":
        return f"app--{config.app_id}"
    if namespace.startswith("$app:"):
        return f"app--{config.app_id}--{namespace.removeprefix('$app:')}"
    return namespace


def metafield_view(metafield: Metafield) -> dict[str, Any]:
    owner_type = metafield.owner_id.split("/")[3].upper() if "/" in metafield.owner_id else ""
    return {
        "__typename": "Metafield",
        "id": metafield.gid,
        "namespace": metafield.namespace,
        "key": metafield.key,
        "type": metafield.type,
        "value": metafield.value,
        "ownerType": owner_type,
        "createdAt": iso(metafield.created_at),
        "updatedAt": iso(metafield.updated_at),
    }


class Views:
    """Renders one shop's objects; knows the app config for namespaces and the current time."""

    def __init__(self, shop: Shop, config: SimulatorConfig, now: datetime) -> None:
        self.shop = shop
        self.config = config
        self.now = now

    def shop_view(self) -> dict[str, Any]:
        shop = self.shop
        limits = self.config.plan(shop.plan)
        return {
            "__typename": "Shop",
            "id": shop.gid,
            "name": shop.name,
            "email": shop.email,
            "contactEmail": shop.email,
            "myshopifyDomain": shop.domain,
            "currencyCode": shop.currency,
            "ianaTimezone": shop.iana_timezone,
            "url": f"https://{shop.primary_domain_host}",
            "primaryDomain": {
                "__typename": "Domain",
                "id": f"gid://shopify/Domain/{shop.id}",
                "host": shop.primary_domain_host,
                "url": f"https://{shop.primary_domain_host}",
                "sslEnabled": True,
            },
            "plan": {
                "displayName": limits.display_name,
                "partnerDevelopment": False,
                "shopifyPlus": limits.shopify_plus,
            },
            "metafield": self._metafield_resolver(shop.gid),
            "billingAddress": self._address_view(),
            "shopAddress": self._address_view(),
        }

    def _address_view(self) -> dict[str, Any] | None:
        address = self.shop.address
        if address is None:
            return None
        return {
            "__typename": "ShopAddress",
            "id": f"gid://shopify/ShopAddress/{self.shop.id}",
            "address1": address.address1,
            "address2": address.address2,
            "city": address.city,
            "company": address.company,
            "coordinatesValidated": False,
            "country": address.country,
            "countryCodeV2": address.country_code,
            "formatted": lambda _info, withCompany=True: address.formatted(
                with_company=withCompany
            ),
            "formattedArea": address.formatted_area(),
            "latitude": None,
            "longitude": None,
            "phone": address.phone,
            "province": address.province,
            "provinceCode": address.province_code,
            "zip": address.zip,
        }

    def _metafield_resolver(self, owner: str) -> Callable[..., dict[str, Any] | None]:
        def resolve(_info: Info, key: str, namespace: str | None = None) -> dict[str, Any] | None:
            found = self.shop.metafields.get(
                (owner, resolve_namespace(namespace, self.config), key)
            )
            return None if found is None else metafield_view(found)

        return resolve

    def customer_view(self, customer: Customer) -> dict[str, Any]:
        def metafields(
            _info: Info,
            first: int | None = None,
            last: int | None = None,
            after: str | None = None,
            namespace: str | None = None,
        ) -> dict[str, Any]:
            wanted = None if namespace is None else resolve_namespace(namespace, self.config)
            owned = [
                m
                for m in self.shop.metafields.values()
                if m.owner_id == customer.gid and (wanted is None or m.namespace == wanted)
            ]
            return connection(
                owned, metafield_view, lambda m: m.id, first=first, last=last, after=after
            )

        names = " ".join(part for part in (customer.first_name, customer.last_name) if part)
        consent = {
            "marketingState": customer.marketing_state,
            "marketingOptInLevel": customer.marketing_opt_in_level,
            "consentUpdatedAt": (
                iso(customer.consent_updated_at) if customer.consent_updated_at else None
            ),
        }
        return {
            "__typename": "Customer",
            "id": customer.gid,
            "legacyResourceId": str(customer.id),
            "email": customer.email,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "displayName": names or customer.email or "",
            "locale": customer.locale,
            "tags": sorted(customer.tags),
            "numberOfOrders": str(customer.orders_count),
            "amountSpent": money(customer.total_spent, self.shop.currency),
            "createdAt": iso(customer.created_at),
            "updatedAt": iso(customer.updated_at),
            "emailMarketingConsent": consent if customer.email else None,
            "metafield": self._metafield_resolver(customer.gid),
            "metafields": metafields,
            "storeCreditAccounts": _store_credit_accounts(self.shop, customer),
        }

    def segment_view(self, segment: Segment) -> dict[str, Any]:
        return {
            "__typename": "Segment",
            "id": segment.gid,
            "name": segment.name,
            "query": segment.query,
            "creationDate": iso(segment.creation_date),
        }

    def discount_node(self, discount: CodeDiscount) -> dict[str, Any]:
        return {
            "__typename": "DiscountCodeNode",
            "id": discount.gid,
            "codeDiscount": self.code_discount(discount),
        }

    def code_discount(self, discount: CodeDiscount) -> dict[str, Any]:
        currency = self.shop.currency

        def codes(
            _info: Info,
            first: int | None = None,
            last: int | None = None,
            after: str | None = None,
        ) -> dict[str, Any]:
            return connection(
                discount.codes,
                lambda redeem: {
                    "id": f"gid://shopify/DiscountRedeemCode/{redeem.id}",
                    "code": redeem.code,
                    "asyncUsageCount": redeem.usage_count,
                },
                lambda redeem: redeem.id,
                first=first,
                last=last,
                after=after,
            )

        minimum: dict[str, Any] | None = None
        if discount.minimum_subtotal is not None:
            minimum = {
                "__typename": "DiscountMinimumSubtotal",
                "greaterThanOrEqualToSubtotal": money(discount.minimum_subtotal, currency),
            }
        elif discount.minimum_quantity is not None:
            minimum = {
                "__typename": "DiscountMinimumQuantity",
                "greaterThanOrEqualToQuantity": str(discount.minimum_quantity),
            }
        if discount.segment_ids is not None:
            segments = [
                self.segment_view(self.shop.segments[number])
                for number in sorted(discount.segment_ids)
                if number in self.shop.segments
            ]
            context: dict[str, Any] = {
                "__typename": "DiscountCustomerSegments",
                "segments": segments,
            }
            selection: dict[str, Any] = context
        elif discount.customer_ids is None:
            context = {"__typename": "DiscountBuyerSelectionAll", "all": "ALL"}
            selection = {"__typename": "DiscountCustomerAll", "allCustomers": True}
        else:
            buyers = [
                self.customer_view(self.shop.customers[number])
                for number in sorted(discount.customer_ids)
                if number in self.shop.customers
            ]
            context = {"__typename": "DiscountCustomers", "customers": buyers}
            selection = context
        view: dict[str, Any] = {
            "__typename": (
                "DiscountCodeBasic" if discount.kind == "basic" else "DiscountCodeFreeShipping"
            ),
            "title": discount.title,
            "summary": self._summary(discount),
            "status": discount.status(self.now),
            "startsAt": iso(discount.starts_at),
            "endsAt": iso(discount.ends_at) if discount.ends_at else None,
            "createdAt": iso(discount.created_at),
            "usageLimit": discount.usage_limit,
            "appliesOncePerCustomer": discount.applies_once_per_customer,
            "asyncUsageCount": discount.usage_count,
            "codesCount": {"count": len(discount.codes), "precision": "EXACT"},
            "codes": codes,
            "minimumRequirement": minimum,
            "combinesWith": dict(discount.combines_with),
            "context": context,
            "customerSelection": selection,
        }
        if discount.kind == "basic":
            if discount.percentage is not None:
                value: dict[str, Any] = {
                    "__typename": "DiscountPercentage",
                    "percentage": discount.percentage,
                }
            else:
                value = {
                    "__typename": "DiscountAmount",
                    "amount": money(discount.amount or Decimal(0), currency),
                    "appliesOnEachItem": discount.applies_on_each_item,
                }
            view["customerGets"] = {
                "value": value,
                "items": {"__typename": "AllDiscountItems", "allItems": True},
            }
        else:
            cap = discount.maximum_shipping_price
            view["maximumShippingPrice"] = None if cap is None else money(cap, currency)
        return view

    def _summary(self, discount: CodeDiscount) -> str:
        if discount.kind == "free_shipping":
            head = "Free shipping on all products"
        elif discount.percentage is not None:
            head = f"{round(discount.percentage * 100):g}% off entire order"
        else:
            head = f"{discount.amount} {self.shop.currency} off entire order"
        if discount.minimum_subtotal is not None:
            head += f" • Minimum purchase of {discount.minimum_subtotal} {self.shop.currency}"
        if discount.applies_once_per_customer:
            head += " • One use per customer"
        return head

    def bulk_creation(self, job: BulkCreation) -> dict[str, Any]:
        def codes(
            _info: Info,
            first: int | None = None,
            last: int | None = None,
            after: str | None = None,
        ) -> dict[str, Any]:
            indexed = list(enumerate(job.results))
            return connection(
                indexed,
                lambda pair: self._bulk_code(pair[1]),
                lambda pair: pair[0],
                first=first,
                last=last,
                after=after,
            )

        discount = self.shop.discounts.get(job.discount_id)
        imported = sum(1 for _, redeem_id, _errors in job.results if redeem_id is not None)
        return {
            "__typename": "DiscountRedeemCodeBulkCreation",
            "id": job.gid,
            "done": job.done,
            "codesCount": len(job.requested),
            "importedCount": imported,
            "failedCount": len(job.results) - imported,
            "createdAt": iso(job.created_at),
            "discountCode": None if discount is None else self.discount_node(discount),
            "codes": codes,
        }

    def _bulk_code(self, result: tuple[str, int | None, list[tuple[str, str]]]) -> dict[str, Any]:
        code, redeem_id, errors = result
        redeem = None
        if redeem_id is not None:
            redeem = {
                "id": f"gid://shopify/DiscountRedeemCode/{redeem_id}",
                "code": code,
                "asyncUsageCount": 0,
            }
        return {
            "code": code,
            "discountRedeemCode": redeem,
            "errors": [
                {"field": ["code"], "code": error_code, "message": message, "extraInfo": None}
                for error_code, message in errors
            ],
        }

    def subscription(self, subscription: WebhookSubscription) -> dict[str, Any]:
        return {
            "__typename": "WebhookSubscription",
            "id": subscription.gid,
            "topic": subscription.topic,
            "uri": subscription.uri,
            "format": subscription.format,
            "includeFields": list(subscription.include_fields),
            "filter": subscription.filter,
            "createdAt": iso(subscription.created_at),
            "updatedAt": iso(subscription.created_at),
        }
