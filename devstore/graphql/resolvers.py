"""Root query and mutation resolvers of the Admin API subset, validating like Shopify does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from graphql import GraphQLError

from devstore.graphql import bulk, commerce, products, store_credit
from devstore.graphql.views import (
    Info,
    Views,
    connection,
    metafield_view,
    require_scope,
    resolve_namespace,
)
from devstore.runtime import Runtime
from devstore.segments import InvalidSegmentQuery, compile_query
from devstore.state import (
    AccessToken,
    BulkCreation,
    BulkOperation,
    CodeDiscount,
    Customer,
    DiscountKind,
    Metafield,
    Segment,
    Shop,
    WebhookSubscription,
    parse_gid,
)

MAX_METAFIELDS_PER_CALL = 25
MAX_SAFE_INTEGER = 9_007_199_254_740_991
METAFIELD_TYPES = frozenset(
    {
        "single_line_text_field",
        "multi_line_text_field",
        "number_integer",
        "number_decimal",
        "boolean",
        "json",
        "date",
        "date_time",
        "url",
        "money",
        "rating",
    }
)
# Shopify's standard product metafield definitions that review apps write, as a dev store
# with them enabled has them: (namespace, key) -> type. A write of another type is refused,
# as Shopify refuses a value that does not match its definition.
STANDARD_PRODUCT_DEFINITIONS: dict[tuple[str, str], str] = {
    ("reviews", "rating"): "rating",
    ("reviews", "rating_count"): "number_integer",
}

# Scope each mutation needs (write_x implies read_x, as on Shopify).
REQUIRED_SCOPES: dict[str, str] = {
    "discountCodeBasicCreate": "write_discounts",
    "discountCodeFreeShippingCreate": "write_discounts",
    "discountRedeemCodeBulkAdd": "write_discounts",
    "discountCodeDeactivate": "write_discounts",
    "discountCodeActivate": "write_discounts",
    "discountCodeDelete": "write_discounts",
    "tagsAdd": "write_customers",
    "tagsRemove": "write_customers",
    "customerEmailMarketingConsentUpdate": "write_customers",
    # segmentCreate: "Requires read_customers access scope" (customer segments guide).
    "segmentCreate": "read_customers",
    "segment": "read_customers",
    "customer": "read_customers",
    "customers": "read_customers",
    "order": "read_orders",
    "orders": "read_orders",
    "abandonedCheckouts": "read_orders",
    "codeDiscountNode": "read_discounts",
    "codeDiscountNodeByCode": "read_discounts",
    "discountRedeemCodeBulkCreation": "read_discounts",
    # Shopify also accepts read_markets_home for shopLocales.
    "shopLocales": "read_locales",
    "storeCreditAccountCredit": store_credit.WRITE_SCOPE,
    "storeCreditAccount": store_credit.READ_ACCOUNTS_SCOPE,
}

UserError = dict[str, Any]

LOCALE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish"}

# Topics whose payloads carry protected customer data: subscribing needs Shopify's approval.
PROTECTED_TOPIC_PREFIXES = ("CHECKOUTS_", "ORDERS_", "CUSTOMERS_", "REFUNDS_")


@dataclass
class RequestContext:
    runtime: Runtime
    shop: Shop
    token: AccessToken
    # Where this simulator is reached: bulk operation result files are served from it.
    base_url: str = "http://127.0.0.1:8765"
    # A bulk operation's query: connections are read whole, without first/last.
    bulk: bool = False


def _context(info: Info) -> RequestContext:
    context = info.context
    if not isinstance(context, RequestContext):
        raise TypeError("resolver called without a RequestContext")
    return context


def _require_scope(info: Info) -> None:
    needed = REQUIRED_SCOPES.get(info.field_name)
    if needed is not None:
        require_scope(info, needed)


def _limit_input(info: Info, values: list[Any] | None) -> None:
    """Shopify rejects any input array over 250 items before running anything."""
    limit = _context(info).runtime.config.input_array_max
    if values is not None and len(values) > limit:
        raise GraphQLError(
            f"The input array size of {len(values)} is greater than the maximum allowed of "
            f"{limit}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )


def _user_error(field: list[str], code: str | None, message: str) -> UserError:
    return {"field": field, "code": code, "message": message, "extraInfo": None}


def _parse_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise GraphQLError(f"Invalid DateTime: {value!r}") from None
    if parsed.tzinfo is None:
        raise GraphQLError(f"Invalid DateTime (no UTC offset): {value!r}")
    return parsed


def _parse_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise GraphQLError(f"Invalid Decimal: {value!r}") from None
    if not parsed.is_finite():
        raise GraphQLError(f"Invalid Decimal: {value!r}")
    return parsed


class Resolvers:
    """Everything under Query and Mutation; each method is one root field."""

    def root(self) -> dict[str, Callable[..., Any]]:
        fields: dict[str, Callable[..., Any]] = {
            "shop": self.shop,
            "customer": self.customer,
            "customers": self.customers,
            "order": self.order,
            "orders": self.orders,
            "abandonedCheckouts": self.abandoned_checkouts,
            "bulkOperation": self.bulk_operation,
            "currentBulkOperation": self.current_bulk_operation,
            "bulkOperationRunQuery": self.bulk_operation_run_query,
            "codeDiscountNode": self.code_discount_node,
            "codeDiscountNodeByCode": self.code_discount_node_by_code,
            "discountRedeemCodeBulkCreation": self.bulk_creation,
            "webhookSubscriptions": self.webhook_subscriptions,
            "shopLocales": self.shop_locales,
            "node": self.node,
            "nodes": self.nodes,
            "product": products.product,
            "productVariant": products.product_variant,
            "products": products.products_connection,
            "discountCodeBasicCreate": self.discount_code_basic_create,
            "discountCodeFreeShippingCreate": self.discount_code_free_shipping_create,
            "discountRedeemCodeBulkAdd": self.discount_redeem_code_bulk_add,
            "discountCodeDeactivate": self.discount_code_deactivate,
            "discountCodeActivate": self.discount_code_activate,
            "discountCodeDelete": self.discount_code_delete,
            "metafieldsSet": self.metafields_set,
            "metafieldsDelete": self.metafields_delete,
            "tagsAdd": self.tags_add,
            "tagsRemove": self.tags_remove,
            "webhookSubscriptionCreate": self.webhook_subscription_create,
            "webhookSubscriptionDelete": self.webhook_subscription_delete,
            "customerEmailMarketingConsentUpdate": self.consent_update,
            "segmentCreate": self.segment_create,
            "segment": self.segment,
            "storeCreditAccountCredit": store_credit.credit,
            "storeCreditAccount": store_credit.store_credit_account,
            "currentAppInstallation": store_credit.current_app_installation,
        }
        return {name: self._guarded(resolver) for name, resolver in fields.items()}

    @staticmethod
    def _guarded(resolver: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(info: Info, **args: Any) -> Any:
            _require_scope(info)
            return resolver(info, **args)

        return guarded

    @staticmethod
    def _views(info: Info) -> Views:
        context = _context(info)
        return Views(context.shop, context.runtime.config, context.runtime.clock.now())

    # -- queries ----------------------------------------------------------------------------

    def shop(self, info: Info) -> dict[str, Any]:
        return self._views(info).shop_view()

    def customer(self, info: Info, id: str) -> dict[str, Any] | None:
        shop = _context(info).shop
        number = parse_gid(id, "Customer")
        found = shop.customers.get(number) if number is not None else None
        return None if found is None else self._views(info).customer_view(found)

    def customers(
        self,
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        query: str | None = None,
        sortKey: str | None = None,
        reverse: bool | None = None,
    ) -> dict[str, Any]:
        context = _context(info)
        search = commerce.SearchFilter(query)
        chosen = [
            c
            for c in context.shop.customers.values()
            if search.accepts({"updated_at": c.updated_at, "created_at": c.created_at}, c.email)
        ]
        if sortKey == "UPDATED_AT":
            chosen.sort(key=lambda c: (c.updated_at, c.id))
        elif sortKey == "CREATED_AT":
            chosen.sort(key=lambda c: (c.created_at, c.id))
        else:
            chosen.sort(key=lambda c: c.id)
        if reverse:
            chosen.reverse()
        views = self._views(info)
        return commerce.page(
            chosen,
            views.customer_view,
            lambda c: c.id,
            first=first,
            last=last,
            after=after,
            bulk=context.bulk,
        )

    def order(self, info: Info, id: str) -> dict[str, Any] | None:
        shop = _context(info).shop
        number = parse_gid(id, "Order")
        found = shop.orders.get(number) if number is not None else None
        return None if found is None else commerce.order_view(self._views(info), shop, found, False)

    def orders(self, info: Info, **args: Any) -> dict[str, Any]:
        context = _context(info)
        return commerce.orders(self._views(info), context.shop, bulk=context.bulk, **args)

    def abandoned_checkouts(self, info: Info, **args: Any) -> dict[str, Any]:
        context = _context(info)
        return commerce.abandoned_checkouts(
            self._views(info), context.shop, bulk=context.bulk, **args
        )

    # -- bulk operations --------------------------------------------------------------------

    @staticmethod
    def _settle_bulk(info: Info) -> None:
        context = _context(info)

        def bulk_context(shop: Shop) -> RequestContext:
            return RequestContext(
                runtime=context.runtime,
                shop=shop,
                token=context.token,
                base_url=context.base_url,
                bulk=True,
            )

        bulk.settle(context.runtime, info.schema, info.root_value, context.shop, bulk_context)

    def bulk_operation(self, info: Info, id: str) -> dict[str, Any] | None:
        self._settle_bulk(info)
        context = _context(info)
        number = parse_gid(id, "BulkOperation")
        found = context.shop.bulk_operations.get(number) if number is not None else None
        return None if found is None else bulk.view(found, context.shop, context.base_url)

    def current_bulk_operation(self, info: Info, type: str | None = None) -> dict[str, Any] | None:
        """The app's most recent bulk operation on this shop (queries only: no mutations here)."""
        self._settle_bulk(info)
        context = _context(info)
        if type == "MUTATION" or not context.shop.bulk_operations:
            return None
        latest = context.shop.bulk_operations[max(context.shop.bulk_operations)]
        return bulk.view(latest, context.shop, context.base_url)

    def bulk_operation_run_query(
        self,
        info: Info,
        query: str,
        groupObjects: bool | None = None,
    ) -> dict[str, Any]:
        context = _context(info)
        problem = bulk.query_problem(info.schema, query)
        if problem is not None:
            return {
                "bulkOperation": None,
                "userErrors": [{"field": ["query"], "code": "INVALID", "message": problem}],
            }
        runtime = context.runtime
        operation = BulkOperation(
            id=runtime.store.ids.next(),
            query=query,
            created_at=runtime.clock.now(),
            due=runtime.clock.monotonic() + runtime.config.bulk_operation_delay,
        )
        context.shop.bulk_operations[operation.id] = operation
        return {
            "bulkOperation": bulk.view(operation, context.shop, context.base_url),
            "userErrors": [],
        }

    def code_discount_node(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any] | None:
        number = parse_gid(id, "DiscountCodeNode")
        found = _context(info).shop.discounts.get(number) if number is not None else None
        return None if found is None else self._views(info).discount_node(found)

    def code_discount_node_by_code(self, info: Info, code: str) -> dict[str, Any] | None:
        context = _context(info)
        found = context.shop.find_code(code)
        lag = context.runtime.config.code_lookup_lag
        if found is not None and lag > 0:
            age = (context.runtime.clock.now() - found[0].created_at).total_seconds()
            found = None if age < lag else found
        return None if found is None else self._views(info).discount_node(found[0])

    def bulk_creation(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any] | None:
        number = parse_gid(id, "DiscountRedeemCodeBulkCreation")
        job = _context(info).shop.bulk_creations.get(number) if number is not None else None
        return None if job is None else self._views(info).bulk_creation(job)

    def webhook_subscriptions(
        self,
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        topics: list[str] | None = None,
    ) -> dict[str, Any]:

        subscriptions = [
            s
            for s in _context(info).shop.subscriptions.values()
            if topics is None or s.topic in topics
        ]
        views = self._views(info)
        return connection(
            subscriptions, views.subscription, lambda s: s.id, first=first, last=last, after=after
        )

    def shop_locales(self, info: Info, published: bool | None = False) -> list[dict[str, Any]]:
        """Every enabled locale is published here; the first is the shop's primary locale."""
        return [
            {
                "locale": code,
                "name": LOCALE_NAMES.get(code, code),
                "primary": i == 0,
                "published": True,
            }
            for i, code in enumerate(_context(info).shop.locales)
        ]

    def node(self, info: Info, id: str) -> dict[str, Any] | None:
        if (found := products.product_node(info, id)) is not None:
            return found
        shop = _context(info).shop
        views = self._views(info)
        if (number := parse_gid(id, "Customer")) is not None and number in shop.customers:
            return views.customer_view(shop.customers[number])
        if (number := parse_gid(id, "DiscountCodeNode")) is not None and number in shop.discounts:
            return views.discount_node(shop.discounts[number])
        if (number := parse_gid(id, "Order")) is not None and number in shop.orders:
            return commerce.order_view(views, shop, shop.orders[number], False)
        if (number := parse_gid(id, "BulkOperation")) is not None:
            self._settle_bulk(info)
            operation = shop.bulk_operations.get(number)
            context = _context(info)
            return None if operation is None else bulk.view(operation, shop, context.base_url)
        if (number := parse_gid(id, "Segment")) is not None and number in shop.segments:
            return views.segment_view(shop.segments[number])
        if id == shop.gid:
            return views.shop_view()
        return None

    # -- customer segments ------------------------------------------------------------------

    def segment(self, info: Info, id: str) -> dict[str, Any] | None:
        shop = _context(info).shop
        number = parse_gid(id, "Segment")
        if number is None or number not in shop.segments:
            return None
        return self._views(info).segment_view(shop.segments[number])

    def segment_create(self, info: Info, name: str, query: str) -> dict[str, Any]:
        """segmentCreate: a name unique in the shop and a query Shopify can evaluate."""
        context = _context(info)
        shop, runtime = context.shop, context.runtime
        errors: list[UserError] = []
        if not name.strip():
            errors.append(_user_error(["name"], None, "Name can't be blank"))
        elif any(s.name == name for s in shop.segments.values()):
            errors.append(_user_error(["name"], None, "Name has already been taken"))
        try:
            compile_query(query)
        except InvalidSegmentQuery as error:
            errors.append(_user_error(["query"], None, str(error)))
        if errors:
            return {"segment": None, "userErrors": errors}
        segment = Segment(
            id=runtime.store.ids.next(),
            name=name,
            query=query,
            creation_date=runtime.clock.now(),
        )
        shop.segments[segment.id] = segment
        return {"segment": self._views(info).segment_view(segment), "userErrors": []}

    def nodes(self, info: Info, ids: list[str]) -> list[dict[str, Any] | None]:
        _limit_input(info, ids)
        return [self.node(info, node_id) for node_id in ids]

    # -- discounts --------------------------------------------------------------------------

    def discount_code_basic_create(
        self, info: Info, basicCodeDiscount: dict[str, Any]
    ) -> dict[str, Any]:
        return self._create_discount(info, "basic", "basicCodeDiscount", basicCodeDiscount)

    def discount_code_free_shipping_create(
        self, info: Info, freeShippingCodeDiscount: dict[str, Any]
    ) -> dict[str, Any]:
        return self._create_discount(
            info, "free_shipping", "freeShippingCodeDiscount", freeShippingCodeDiscount
        )

    def _create_discount(
        self, info: Info, kind: DiscountKind, root: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        context = _context(info)
        shop, runtime = context.shop, context.runtime
        errors: list[UserError] = []
        title = data.get("title")
        if not title or not str(title).strip():
            errors.append(_user_error([root, "title"], "BLANK", "Title can't be blank"))
        code = data.get("code")
        if code is None or not str(code).strip():
            errors.append(_user_error([root, "code"], "BLANK", "Code can't be blank"))
        elif len(code) > 255:
            errors.append(
                _user_error(
                    [root, "code"], "TOO_LONG", "Code is too long (maximum is 255 characters)"
                )
            )
        elif shop.find_code(code) is not None:
            errors.append(
                _user_error(
                    [root, "code"], "TAKEN", "Code must be unique. Please try a different code."
                )
            )
        starts_at = _parse_datetime(data.get("startsAt"))
        ends_at = _parse_datetime(data.get("endsAt"))
        if starts_at is None:
            errors.append(_user_error([root, "startsAt"], "BLANK", "Starts at can't be blank"))
        elif ends_at is not None and ends_at <= starts_at:
            errors.append(
                _user_error(
                    [root, "endsAt"],
                    "END_DATE_BEFORE_START_DATE",
                    "Ends at needs to be after starts_at",
                )
            )
        usage_limit = data.get("usageLimit")
        if usage_limit is not None and usage_limit < 1:
            errors.append(
                _user_error(
                    [root, "usageLimit"], "GREATER_THAN", "Usage limit must be greater than 0"
                )
            )
        customer_ids = self._buyers(info, root, data, errors)
        segment_ids = self._segments(info, root, data, errors)
        minimum_subtotal, minimum_quantity = self._minimum(root, data, errors)
        percentage: float | None = None
        amount: Decimal | None = None
        each_item = False
        if kind == "basic":
            percentage, amount, each_item = self._customer_gets(root, data, errors)
        maximum_shipping = _parse_decimal(data.get("maximumShippingPrice"))
        if errors:
            return {"codeDiscountNode": None, "userErrors": errors}
        if starts_at is None or code is None:  # pragma: no cover - reported as errors above
            raise GraphQLError("internal error: validated input missing")
        combines = data.get("combinesWith") or {}
        discount = CodeDiscount(
            id=runtime.store.ids.next(),
            kind=kind,
            title=str(title),
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=runtime.clock.now(),
            usage_limit=usage_limit,
            applies_once_per_customer=bool(data.get("appliesOncePerCustomer") or False),
            customer_ids=customer_ids,
            segment_ids=segment_ids,
            percentage=percentage,
            amount=amount,
            applies_on_each_item=each_item,
            minimum_subtotal=minimum_subtotal,
            minimum_quantity=minimum_quantity,
            maximum_shipping_price=maximum_shipping,
            combines_with={
                key: bool(combines.get(key) or False)
                for key in ("orderDiscounts", "productDiscounts", "shippingDiscounts")
            },
        )
        shop.discounts[discount.id] = discount
        shop.add_code(discount, str(code), runtime.store.ids)
        return {"codeDiscountNode": self._views(info).discount_node(discount), "userErrors": []}

    def _buyers(
        self, info: Info, root: str, data: dict[str, Any], errors: list[UserError]
    ) -> frozenset[int] | None:
        context_input = data.get("context")
        selection_input = data.get("customerSelection")
        if context_input is not None and selection_input is not None:
            errors.append(
                _user_error(
                    [root, "context"],
                    "INVALID",
                    "Only one of context or customerSelection can be provided.",
                )
            )
            return None
        chosen = context_input if context_input is not None else selection_input
        legacy = context_input is None and selection_input is not None
        field = "customerSelection" if legacy else "context"
        # Who may use the code is required on create since `context` replaced
        # `customerSelection` (DiscountCodeBasicInput / DiscountCodeFreeShippingInput, 2026-10:
        # "When creating, required fields are: code, context (or deprecated
        # customerSelection), ..."); nothing chosen is no longer "everyone".
        customers_input = (chosen or {}).get("customers")
        segments_input = (chosen or {}).get("customerSegments")
        if not chosen or (
            not chosen.get("all") and customers_input is None and segments_input is None
        ):
            what = "Customer selection" if legacy else "Context"
            errors.append(_user_error([root, field], "BLANK", f"{what} can't be blank"))
            return None
        if customers_input is None:
            return None
        if segments_input is not None:
            errors.append(
                _user_error(
                    [root, field],
                    "INVALID",
                    "Only one of customers or customerSegments can be provided.",
                )
            )
            return None
        added = customers_input.get("add") or []
        _limit_input(info, added)
        shop = _context(info).shop
        numbers: set[int] = set()
        for index, value in enumerate(added):
            number = parse_gid(value, "Customer")
            if number is None or number not in shop.customers:
                errors.append(
                    _user_error(
                        [root, field, "customers", "add", str(index)],
                        "INVALID",
                        "Customer does not exist.",
                    )
                )
                continue
            numbers.add(number)
        return frozenset(numbers)

    def _segments(
        self, info: Info, root: str, data: dict[str, Any], errors: list[UserError]
    ) -> frozenset[int] | None:
        """The segments of context.customerSegments (or the deprecated customerSelection's);
        each must exist in the shop."""
        chosen = data.get("context") or data.get("customerSelection") or {}
        segments_input = chosen.get("customerSegments")
        if segments_input is None or chosen.get("customers") is not None:
            return None
        field = "context" if data.get("context") is not None else "customerSelection"
        added = segments_input.get("add") or []
        _limit_input(info, added)
        shop = _context(info).shop
        numbers: set[int] = set()
        for index, value in enumerate(added):
            number = parse_gid(value, "Segment")
            if number is None or number not in shop.segments:
                errors.append(
                    _user_error(
                        [root, field, "customerSegments", "add", str(index)],
                        "INVALID",
                        "Segment does not exist.",
                    )
                )
                continue
            numbers.add(number)
        if not numbers and not errors:
            errors.append(
                _user_error(
                    [root, field, "customerSegments"], "BLANK", "Customer segments can't be blank"
                )
            )
        return frozenset(numbers)

    @staticmethod
    def _minimum(
        root: str, data: dict[str, Any], errors: list[UserError]
    ) -> tuple[Decimal | None, int | None]:
        minimum = data.get("minimumRequirement") or {}
        subtotal_input = minimum.get("subtotal")
        quantity_input = minimum.get("quantity")
        if subtotal_input and quantity_input:
            errors.append(
                _user_error(
                    [root, "minimumRequirement"],
                    "MINIMUM_SUBTOTAL_AND_QUANTITY_RANGE_BOTH_PRESENT",
                    "Minimum subtotal and quantity range can't both be present.",
                )
            )
            return None, None
        subtotal = None
        if subtotal_input:
            subtotal = _parse_decimal(subtotal_input.get("greaterThanOrEqualToSubtotal"))
            if subtotal is not None and subtotal < 0:
                errors.append(
                    _user_error(
                        [root, "minimumRequirement", "subtotal", "greaterThanOrEqualToSubtotal"],
                        "GREATER_THAN_OR_EQUAL_TO",
                        "Minimum subtotal must be greater than or equal to 0",
                    )
                )
        quantity = None
        if quantity_input and quantity_input.get("greaterThanOrEqualToQuantity") is not None:
            quantity = int(str(quantity_input["greaterThanOrEqualToQuantity"]))
        return subtotal, quantity

    @staticmethod
    def _customer_gets(
        root: str, data: dict[str, Any], errors: list[UserError]
    ) -> tuple[float | None, Decimal | None, bool]:
        gets = data.get("customerGets")
        path = [root, "customerGets"]
        if not gets:
            errors.append(_user_error(path, "BLANK", "Customer gets can't be blank"))
            return None, None, False
        items = gets.get("items") or {}
        if not items.get("all"):
            errors.append(_user_error([*path, "items"], "BLANK", "Items can't be blank"))
        value = gets.get("value") or {}
        percentage = value.get("percentage")
        amount_input = value.get("discountAmount")
        if percentage is not None and amount_input is not None:
            errors.append(
                _user_error([*path, "value"], "TOO_MANY_ARGUMENTS", "Only one value is allowed")
            )
            return None, None, False
        if percentage is not None:
            if not 0 < float(percentage) <= 1:
                errors.append(
                    _user_error(
                        [*path, "value", "percentage"],
                        "VALUE_OUTSIDE_RANGE",
                        "Value must be between 0.0 and 1.0",
                    )
                )
            return float(percentage), None, False
        if amount_input is not None:
            amount = _parse_decimal(amount_input.get("amount"))
            if amount is None or amount <= 0:
                errors.append(
                    _user_error(
                        [*path, "value", "discountAmount", "amount"],
                        "GREATER_THAN",
                        "Value must be greater than 0",
                    )
                )
            return None, amount, bool(amount_input.get("appliesOnEachItem") or False)
        errors.append(_user_error([*path, "value"], "BLANK", "Value can't be blank"))
        return None, None, False

    def discount_redeem_code_bulk_add(
        self, info: Info, discountId: str, codes: list[dict[str, Any]]
    ) -> dict[str, Any]:
        _limit_input(info, codes)
        context = _context(info)
        number = parse_gid(discountId, "DiscountCodeNode")
        if number is None or number not in context.shop.discounts:
            error = _user_error(["discountId"], "INVALID", "Code discount does not exist.")
            return {"bulkCreation": None, "userErrors": [error]}
        if not codes:
            error = _user_error(["codes"], "BLANK", "Codes can't be blank")
            return {"bulkCreation": None, "userErrors": [error]}
        runtime = context.runtime
        job = BulkCreation(
            id=runtime.store.ids.next(),
            discount_id=number,
            requested=[str(item["code"]) for item in codes],
            created_at=runtime.clock.now(),
            due=runtime.clock.monotonic() + runtime.config.bulk_code_creation_delay,
        )
        context.shop.bulk_creations[job.id] = job
        return {"bulkCreation": self._views(info).bulk_creation(job), "userErrors": []}

    def _discount_or_error(
        self, info: Info, id_value: str
    ) -> tuple[CodeDiscount | None, list[UserError]]:
        number = parse_gid(id_value, "DiscountCodeNode")
        found = _context(info).shop.discounts.get(number) if number is not None else None
        if found is None:
            return None, [_user_error(["id"], "INVALID", "Discount does not exist")]
        return found, []

    def discount_code_deactivate(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any]:
        discount, errors = self._discount_or_error(info, id)
        if discount is None:
            return {"codeDiscountNode": None, "userErrors": errors}
        if discount.deactivated_at is None:
            discount.deactivated_at = _context(info).runtime.clock.now()
        return {"codeDiscountNode": self._views(info).discount_node(discount), "userErrors": []}

    def discount_code_activate(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any]:
        discount, errors = self._discount_or_error(info, id)
        if discount is None:
            return {"codeDiscountNode": None, "userErrors": errors}
        discount.deactivated_at = None
        return {"codeDiscountNode": self._views(info).discount_node(discount), "userErrors": []}

    def discount_code_delete(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any]:
        discount, errors = self._discount_or_error(info, id)
        if discount is None:
            return {"deletedCodeDiscountId": None, "userErrors": errors}
        _context(info).shop.delete_discount(discount.id)
        return {"deletedCodeDiscountId": discount.gid, "userErrors": []}

    # -- metafields and tags ----------------------------------------------------------------

    def metafields_delete(self, info: Info, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        """Shopify's metafieldsDelete: each identifier's metafield deleted; null in its place
        when there is none (the mutation still succeeds)."""
        _limit_input(info, metafields)
        if any(parse_gid(str(m.get("ownerId")), "Product") is not None for m in metafields):
            require_scope(info, "write_products")
        context = _context(info)
        shop, runtime = context.shop, context.runtime
        deleted: list[dict[str, str] | None] = []
        for item in metafields:
            owner = str(item["ownerId"])
            namespace = resolve_namespace(item.get("namespace"), runtime.config)
            key = str(item["key"])
            found = shop.metafields.pop((owner, namespace, key), None)
            deleted.append(
                {"ownerId": owner, "namespace": namespace, "key": key} if found else None
            )
        return {"deletedMetafields": deleted, "userErrors": []}

    def metafields_set(self, info: Info, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        _limit_input(info, metafields)
        # Writing a resource's metafields takes the write scope of its owner.
        if any(parse_gid(str(m.get("ownerId")), "Product") is not None for m in metafields):
            require_scope(info, "write_products")
        context = _context(info)
        shop, runtime = context.shop, context.runtime
        if len(metafields) > MAX_METAFIELDS_PER_CALL:
            error = {
                "field": ["metafields"],
                "code": "LESS_THAN_OR_EQUAL_TO",
                "message": (
                    f"Exceeded the maximum metafields input limit of {MAX_METAFIELDS_PER_CALL}."
                ),
                "elementIndex": None,
            }
            return {"metafields": None, "userErrors": [error]}
        errors: list[dict[str, Any]] = []
        planned: list[tuple[str, str, str, str, str]] = []
        for index, item in enumerate(metafields):
            path = ["metafields", str(index)]

            def fail(
                field: str, code: str, message: str, index: int = index, path: list[str] = path
            ) -> None:
                errors.append(
                    {
                        "field": [*path, field],
                        "code": code,
                        "message": message,
                        "elementIndex": index,
                    }
                )

            owner = str(item["ownerId"])
            if not self._owner_exists(shop, owner):
                fail("ownerId", "INVALID", "Owner does not exist.")
                continue
            namespace = resolve_namespace(item.get("namespace"), runtime.config)
            key = str(item["key"])
            if not key.strip():
                fail("key", "BLANK", "Key can't be blank")
                continue
            existing = shop.metafields.get((owner, namespace, key))
            kind = item.get("type") or (existing.type if existing else None)
            if not kind:
                fail("type", "BLANK", "Type can't be blank")
                continue
            if kind not in METAFIELD_TYPES:
                fail("type", "INVALID_TYPE", f"Type '{kind}' is not a valid type.")
                continue
            defined = (
                STANDARD_PRODUCT_DEFINITIONS.get((namespace, key))
                if parse_gid(owner, "Product") is not None
                else None
            )
            if defined is not None and kind != defined:
                fail(
                    "type",
                    "INVALID_TYPE",
                    f"Type '{kind}' must be consistent with the definition's type: '{defined}'.",
                )
                continue
            value = str(item["value"])
            problem = _metafield_value_problem(kind, value)
            if problem is not None:
                fail("value", "INVALID_VALUE", problem)
                continue
            planned.append((owner, namespace, key, kind, value))
        if errors:
            return {"metafields": [], "userErrors": errors}
        now = runtime.clock.now()
        written: list[dict[str, Any]] = []
        for owner, namespace, key, kind, value in planned:
            found = shop.metafields.get((owner, namespace, key))
            if found is None:
                found = Metafield(
                    id=runtime.store.ids.next(),
                    owner_id=owner,
                    namespace=namespace,
                    key=key,
                    type=kind,
                    value=value,
                    created_at=now,
                    updated_at=now,
                )
                shop.metafields[(owner, namespace, key)] = found
            else:
                found.type, found.value, found.updated_at = kind, value, now
            written.append(metafield_view(found))
        return {"metafields": written, "userErrors": []}

    @staticmethod
    def _owner_exists(shop: Shop, owner: str) -> bool:
        if owner == shop.gid:
            return True
        number = parse_gid(owner, "Customer")
        if number is not None:
            return number in shop.customers
        number = parse_gid(owner, "Product")
        if number is not None:
            return number in shop.products
        number = parse_gid(owner, "Order")
        return number is not None and number in shop.orders

    def tags_add(
        self,
        info: Info,
        id: str,
        tags: list[str],
    ) -> dict[str, Any]:
        return self._change_tags(info, id, tags, add=True)

    def tags_remove(
        self,
        info: Info,
        id: str,
        tags: list[str],
    ) -> dict[str, Any]:
        return self._change_tags(info, id, tags, add=False)

    def _change_tags(
        self, info: Info, id_value: str, tags: list[str], *, add: bool
    ) -> dict[str, Any]:
        _limit_input(info, tags)
        shop = _context(info).shop
        # Shopify also accepts one comma-separated string.
        wanted = [part.strip() for tag in tags for part in tag.split(",") if part.strip()]
        number = parse_gid(id_value, "Customer")
        customer: Customer | None = shop.customers.get(number) if number is not None else None
        if customer is not None:
            if add:
                customer.tags.extend(t for t in wanted if t not in customer.tags)
            else:
                drop = {t.lower() for t in wanted}
                customer.tags[:] = [t for t in customer.tags if t.lower() not in drop]
            customer.updated_at = _context(info).runtime.clock.now()
            return {"node": {"__typename": "Customer", "id": customer.gid}, "userErrors": []}
        order_number = parse_gid(id_value, "Order")
        order = shop.orders.get(order_number) if order_number is not None else None
        if order is not None:
            current = [t.strip() for t in str(order.get("tags", "")).split(",") if t.strip()]
            if add:
                current.extend(t for t in wanted if t not in current)
            else:
                current = [t for t in current if t not in wanted]
            order["tags"] = ", ".join(current)
            return {"node": None, "userErrors": []}
        return {"node": None, "userErrors": [{"field": ["id"], "message": "Resource not found"}]}

    # -- webhooks and consent ---------------------------------------------------------------

    def webhook_subscription_create(
        self, info: Info, topic: str, webhookSubscription: dict[str, Any]
    ) -> dict[str, Any]:
        context = _context(info)
        uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
        if not uri:
            error = {"field": ["webhookSubscription", "uri"], "message": "Address can't be blank"}
            return {"webhookSubscription": None, "userErrors": [error]}
        if not re.match(r"^(https?://|pubsub://|arn:aws:events:)", str(uri)):
            error = {"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}
            return {"webhookSubscription": None, "userErrors": [error]}
        config = context.runtime.config
        if not config.protected_customer_data_approved and topic.startswith(
            PROTECTED_TOPIC_PREFIXES
        ):
            error = {
                "field": ["webhookSubscription"],
                "message": "This app is not approved to subscribe to webhook topics containing "
                f"protected customer data. See https://partners.shopify.com/{config.app_id}/apps/"
                f"{config.app_id}/customer_data for more details.",
            }
            return {"webhookSubscription": None, "userErrors": [error]}
        for existing in context.shop.subscriptions.values():
            if existing.topic == topic and existing.uri == uri:
                error = {
                    "field": ["webhookSubscription", "callbackUrl"],
                    "message": "Address for this topic has already been taken",
                }
                return {"webhookSubscription": None, "userErrors": [error]}
        subscription = WebhookSubscription(
            id=context.runtime.store.ids.next(),
            topic=topic,
            uri=str(uri),
            format=webhookSubscription.get("format") or "JSON",
            created_at=context.runtime.clock.now(),
            include_fields=list(webhookSubscription.get("includeFields") or []),
            filter=webhookSubscription.get("filter"),
        )
        context.shop.subscriptions[subscription.id] = subscription
        return {
            "webhookSubscription": self._views(info).subscription(subscription),
            "userErrors": [],
        }

    def webhook_subscription_delete(
        self,
        info: Info,
        id: str,
    ) -> dict[str, Any]:
        shop = _context(info).shop
        number = parse_gid(id, "WebhookSubscription")
        if number is None or number not in shop.subscriptions:
            error = {"field": ["id"], "message": "Webhook subscription does not exist"}
            return {"deletedWebhookSubscriptionId": None, "userErrors": [error]}
        del shop.subscriptions[number]
        return {"deletedWebhookSubscriptionId": id, "userErrors": []}

    def consent_update(self, info: Info, input: dict[str, Any]) -> dict[str, Any]:
        context = _context(info)
        number = parse_gid(str(input["customerId"]), "Customer")
        customer = context.shop.customers.get(number) if number is not None else None
        if customer is None:
            error = {
                "field": ["input", "customerId"],
                "code": "INVALID",
                "message": "Customer not found",
            }
            return {"customer": None, "userErrors": [error]}
        consent = input["emailMarketingConsent"]
        now = context.runtime.clock.now()
        customer.marketing_state = consent["marketingState"]
        customer.marketing_opt_in_level = consent.get("marketingOptInLevel")
        customer.consent_updated_at = _parse_datetime(consent.get("consentUpdatedAt")) or now
        customer.updated_at = now
        return {"customer": self._views(info).customer_view(customer), "userErrors": []}


def _rating_problem(value: str) -> str | None:
    """A rating is JSON {"value", "scale_min", "scale_max"}, each a decimal string, the
    value within the scale and the scale not empty."""
    try:
        body = json.loads(value)
    except ValueError:
        return "Value must be valid JSON."
    if not isinstance(body, dict) or set(body) != {"value", "scale_min", "scale_max"}:
        return "Value must contain value, scale_min and scale_max."
    try:
        number, low, high = (Decimal(str(body[k])) for k in ("value", "scale_min", "scale_max"))
    except InvalidOperation:
        return "Value, scale_min and scale_max must be decimals."
    if not (number.is_finite() and low.is_finite() and high.is_finite()) or low >= high:
        return "Scale_min must be less than scale_max."
    if not low <= number <= high:
        return f"Value must be between {body['scale_min']} and {body['scale_max']}."
    return None


def _metafield_value_problem(kind: str, value: str) -> str | None:
    """Why `value` is not a valid `kind` metafield value, or None when it is."""
    if kind == "single_line_text_field":
        return "Value must be a single line text string." if "\n" in value else None
    if kind == "number_integer":
        if not re.fullmatch(r"-?\d+", value.strip()):
            return "Value must be an integer."
        return None if abs(int(value)) <= MAX_SAFE_INTEGER else "Value is out of range."
    if kind == "number_decimal":
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            return "Value must be a decimal."
        return None if parsed.is_finite() else "Value must be a decimal."
    if kind == "boolean":
        return None if value in {"true", "false"} else "Value must be true or false."
    if kind == "rating":
        return _rating_problem(value)
    if kind in {"json", "money"}:
        try:
            json.loads(value)
        except ValueError:
            return "Value must be valid JSON."
        return None
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "Value must be in YYYY-MM-DD format."
        return None
    if kind == "date_time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return "Value must be in ISO 8601 format."
        return None
    if kind == "url":
        return None if re.match(r"^https?://", value) else "Value must be a valid URL."
    return None
