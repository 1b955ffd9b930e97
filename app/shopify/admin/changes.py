"""Reading back what changed at Shopify: the orders, abandoned checkouts and customers updated
since a moment, page by page through the throttle-aware client, or through a bulk query
operation (its JSONL file downloaded and regrouped by `__parentId`) when the gap is large.
Each object comes back as the REST webhook body its topic handler reads
(app.shopify.rest_payloads)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog

from app.errors import ShopifyQueryError, ShopifyUnavailable, ShopifyUserErrors
from app.i18n import Text
from app.shopify import rest_payloads
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

ORDERS = "orders"
CHECKOUTS = "checkouts"
CUSTOMERS = "customers"
RESOURCES = (ORDERS, CHECKOUTS, CUSTOMERS)

MONEY = "{ shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }"
CUSTOMER_FIELDS = """id legacyResourceId email firstName lastName locale tags createdAt updatedAt
numberOfOrders amountSpent { amount currencyCode }
emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt }"""
LINE_FIELDS = f"""id title variantTitle quantity sku originalUnitPriceSet {MONEY}
product {{ id }} variant {{ id }}"""
ORDER_FIELDS = f"""id legacyResourceId name email createdAt updatedAt processedAt cancelledAt
checkoutToken cartToken customerLocale currencyCode displayFinancialStatus
displayFulfillmentStatus subtotalPriceSet {MONEY} totalPriceSet {MONEY}
totalDiscountsSet {MONEY} discountCodes customer {{ {CUSTOMER_FIELDS} }}
fulfillments(first: 5) {{ id legacyResourceId status createdAt updatedAt
trackingInfo(first: 1) {{ company }} }}"""
CHECKOUT_FIELDS = f"""id name abandonedCheckoutUrl completedAt createdAt updatedAt discountCodes
subtotalPriceSet {MONEY} totalPriceSet {MONEY} customer {{ {CUSTOMER_FIELDS} }}"""

# Page sizes that keep a page's requested cost under Shopify's 1,000-point single query cap.
PAGE = {ORDERS: 8, CHECKOUTS: 8, CUSTOMERS: 100}
LINES_PER_PAGE = 10
# What Shopify asks for such a page (its requestedQueryCost), until it has said so itself.
PAGE_COST = {ORDERS: 700, CHECKOUTS: 600, CUSTOMERS: 400}
_ROOT = {ORDERS: "orders", CHECKOUTS: "abandonedCheckouts", CUSTOMERS: "customers"}
# abandonedCheckouts has no UPDATED_AT sort key: it is read in id order, all of it.
_SORT = {ORDERS: "sortKey: UPDATED_AT", CHECKOUTS: "sortKey: ID", CUSTOMERS: "sortKey: UPDATED_AT"}
_FIELDS = {ORDERS: ORDER_FIELDS, CHECKOUTS: CHECKOUT_FIELDS, CUSTOMERS: CUSTOMER_FIELDS}
_HAS_LINES = frozenset({ORDERS, CHECKOUTS})
_TO_REST: dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]] = {
    ORDERS: rest_payloads.order_payload,
    CHECKOUTS: rest_payloads.checkout_payload,
    CUSTOMERS: rest_payloads.customer_payload,
}

BULK_RUN = Operation(
    name="ReconcileBulkRun",
    document="""
mutation ReconcileBulkRun($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field code message }
  }
}
""",
    cost=10,
)
BULK_POLL = Operation(
    name="ReconcileBulkPoll",
    document="""
query ReconcileBulkPoll($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } }
}
""",
    cost=1,
)
BULK_DONE = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})


def search_since(since: datetime) -> str:
    """Shopify's search syntax for `updated at or after since` (inclusive: several objects can
    share the mark's second)."""
    stamp = since.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return f"updated_at:>='{stamp}'"


def page_operation(resource: str) -> Operation:
    lines = (
        f" lineItems(first: {LINES_PER_PAGE}) {{ nodes {{ {LINE_FIELDS} }} }}"
        if resource in _HAS_LINES
        else ""
    )
    name = f"Reconcile{resource.title()}"
    document = f"""
query {name}($first: Int!, $after: String, $query: String) {{
  {_ROOT[resource]}(first: $first, after: $after, query: $query, {_SORT[resource]}) {{
    nodes {{ {_FIELDS[resource]}{lines} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""
    return Operation(name=name, document=document, cost=PAGE_COST[resource])


def bulk_query(resource: str, since: datetime) -> str:
    lines = (
        f" lineItems {{ edges {{ node {{ {LINE_FIELDS} }} }} }}" if resource in _HAS_LINES else ""
    )
    root = _ROOT[resource]
    query = json.dumps(search_since(since))
    # No sort key: the whole result is read before the mark moves, in whatever order.
    return f"{{ {root}(query: {query}) {{ edges {{ node {{ {_FIELDS[resource]}{lines} }} }} }} }}"


def regroup(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A bulk result's objects with their children (lines carrying `__parentId`) put back
    under the parent's `lineItems`."""
    roots: dict[str, dict[str, Any]] = {}
    ordered: list[dict[str, Any]] = []
    for line in lines:
        parent = line.pop("__parentId", None)
        if parent is None:
            line.setdefault("lineItems", [])
            roots[str(line.get("id"))] = line
            ordered.append(line)
        elif parent in roots:
            roots[parent]["lineItems"].append(line)
    return ordered


class ShopifyChanges:
    """The reconciler's view of Shopify (app.reconcile.service.ChangeFeed)."""

    def __init__(
        self,
        client: AdminClient,
        http: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        bulk_poll_seconds: float = 0.2,
        bulk_timeout_seconds: float = 900.0,
    ) -> None:
        self._client = client
        self._http = http
        self._sleep = sleep
        self._poll = bulk_poll_seconds
        self._timeout = bulk_timeout_seconds

    async def changed_since(
        self, shop: ShopRef, resource: str, since: datetime, *, bulk: bool
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Batches of REST bodies of `resource` objects updated at or after `since`."""
        to_rest = _TO_REST[resource]
        source = self._bulk(shop, resource, since) if bulk else self._pages(shop, resource, since)
        async for nodes in source:
            bodies = [body for body in (to_rest(node) for node in nodes) if body is not None]
            if len(bodies) < len(nodes):
                log.warning(
                    "objects read back without an identity were skipped",
                    shop=shop.domain,
                    resource=resource,
                    skipped=len(nodes) - len(bodies),
                )
            yield bodies

    async def _pages(
        self, shop: ShopRef, resource: str, since: datetime
    ) -> AsyncIterator[list[dict[str, Any]]]:
        operation = page_operation(resource)
        after: str | None = None
        while True:
            data = await self._client.execute(
                shop,
                operation,
                {"first": PAGE[resource], "after": after, "query": search_since(since)},
            )
            page = data[_ROOT[resource]]
            yield list(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    async def _bulk(
        self, shop: ShopRef, resource: str, since: datetime
    ) -> AsyncIterator[list[dict[str, Any]]]:
        data = await self._client.execute(shop, BULK_RUN, {"query": bulk_query(resource, since)})
        payload = data["bulkOperationRunQuery"]
        errors = payload.get("userErrors") or []
        if errors or not payload.get("bulkOperation"):
            messages = "; ".join(str(e.get("message")) for e in errors) or "no operation"
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused the bulk read of {resource} for {shop.domain}: {messages}",
                    fr=f"Shopify a refusé la lecture groupée des {resource} de {shop.domain} : "
                    f"{messages}",
                ),
                [
                    (".".join(e.get("field") or []), e.get("code"), str(e.get("message")))
                    for e in errors
                ],
            )
        operation = await self._finished(shop, resource, payload["bulkOperation"]["id"])
        if operation["status"] != "COMPLETED":
            raise ShopifyQueryError(
                Text(
                    en=f"Shopify's bulk read of {resource} for {shop.domain} ended "
                    f"{operation['status']} ({operation.get('errorCode')}).",
                    fr=f"La lecture groupée des {resource} de {shop.domain} s'est terminée "
                    f"{operation['status']} ({operation.get('errorCode')}).",
                )
            )
        url = operation.get("url")
        if not url:
            return  # nothing matched: Shopify writes no file
        yield regroup(await self._download(shop, str(url)))

    async def _finished(self, shop: ShopRef, resource: str, operation_id: str) -> dict[str, Any]:
        waited = 0.0
        pause = self._poll
        while True:
            data = await self._client.execute(shop, BULK_POLL, {"id": operation_id})
            operation: dict[str, Any] = data["node"] or {}
            if operation.get("status") in BULK_DONE:
                return operation
            if waited >= self._timeout:
                raise ShopifyUnavailable(
                    Text(
                        en=f"Shopify's bulk read of {resource} for {shop.domain} is still "
                        f"running after {waited:.0f}s; the reconciliation will run again later.",
                        fr=f"La lecture groupée des {resource} de {shop.domain} tourne encore "
                        f"après {waited:.0f} s ; la réconciliation sera relancée plus tard.",
                    )
                )
            await self._sleep(pause)
            waited += pause
            pause = min(pause * 2, 5.0)

    async def _download(self, shop: ShopRef, url: str) -> list[dict[str, Any]]:
        """The JSONL result (a signed URL: no token sent with it)."""
        try:
            response = await self._http.get(url, timeout=60.0)
        except httpx.HTTPError as exc:
            raise ShopifyUnavailable(
                Text(
                    en=f"The bulk result file of {shop.domain} could not be downloaded "
                    f"({type(exc).__name__}); the reconciliation will run again later.",
                    fr=f"Le fichier de résultat groupé de {shop.domain} n'a pas pu être "
                    f"téléchargé ({type(exc).__name__}) ; la réconciliation sera relancée.",
                )
            ) from exc
        if response.status_code != 200:
            raise ShopifyUnavailable(
                Text(
                    en=f"The bulk result file of {shop.domain} answered HTTP "
                    f"{response.status_code}; the reconciliation will run again later.",
                    fr=f"Le fichier de résultat groupé de {shop.domain} a répondu HTTP "
                    f"{response.status_code} ; la réconciliation sera relancée plus tard.",
                )
            )
        lines: list[dict[str, Any]] = []
        for raw in response.text.splitlines():
            if raw.strip():
                loaded = json.loads(raw)
                if isinstance(loaded, dict):
                    lines.append(loaded)
        return lines
