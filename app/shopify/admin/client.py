"""The GraphQL Admin API client: one pooled httpx client per process, the shop's token from an
injected provider, the shared per-shop throttle, and retries that know which failures pass.

- THROTTLED answers wait (requested − available) / restoreRate and go again;
- network errors, 5xx and 429 (honouring Retry-After) back off with full jitter;
- 401 marks the shop's token invalid once and raises ShopTokenInvalid (final: no retry loop);
- other top-level `errors` raise ShopifyQueryError; `userErrors` are the operations' business.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from app.errors import (
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopTokenInvalid,
    ThrottledByShopify,
)
from app.shopify.admin.types import ShopRef, TokenProvider, UnauthorizedHandler
from app.shopify.throttle import ShopThrottle, ThrottleStatus

log = structlog.get_logger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Operation:
    """A named GraphQL document and the cost we expect Shopify to request for it."""

    name: str
    document: str
    cost: int

    @property
    def declares_name(self) -> bool:
        return (
            re.search(rf"\b(query|mutation)\s+{re.escape(self.name)}\b", self.document) is not None
        )

    @classmethod
    def ad_hoc(cls, document: str, cost: int = 10) -> Operation:
        """A document written at the call site; named after its declared operation, if any."""
        found = re.search(r"\b(?:query|mutation)\s+(\w+)", document)
        return cls(found.group(1) if found else "anonymous", document, cost)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.25
    max_delay: float = 15.0
    throttled_attempts: int = 50
    # A reservation that would wait longer than this gives up (the job retries later).
    max_inline_wait: float = 120.0


@dataclass
class ClientStats:
    """Counters for benchmarks and metrics (process-local)."""

    calls: int = 0
    throttled: int = 0
    transient_retries: int = 0
    waited_seconds: float = 0.0
    per_operation: dict[str, int] = field(default_factory=dict)


def _jittered(attempt: int, policy: RetryPolicy) -> float:
    # Full jitter: spreads retries of many workers over the whole window.
    return random.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))  # noqa: S311


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _is_throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )


class AdminClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        admin_url: Callable[[str], str],
        api_version: str,
        tokens: TokenProvider,
        throttle: ShopThrottle,
        on_unauthorized: UnauthorizedHandler | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._admin_url = admin_url
        self._api_version = api_version
        self._tokens = tokens
        self._throttle = throttle
        self._on_unauthorized = on_unauthorized
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        # requestedQueryCost last seen per operation: better than our estimate next time.
        self._learned_cost: dict[str, int] = {}
        self.stats = ClientStats()

    def endpoint(self, shop: ShopRef) -> str:
        base = self._admin_url(shop.domain)
        return f"{base}/admin/api/{self._api_version}/graphql.json"

    async def execute(
        self,
        shop: ShopRef,
        operation: Operation,
        variables: dict[str, Any] | None = None,
        *,
        cost: int | None = None,
    ) -> dict[str, Any]:
        """Run `operation` for `shop` and return its `data`. `cost` overrides the estimate when
        it depends on the variables (e.g. a connection's `first`)."""
        estimate = cost if cost is not None else operation.cost
        estimate = max(estimate, self._learned_cost.get(operation.name, 0) if cost is None else 0)
        policy = self._policy
        transient = 0
        throttled = 0
        refreshed = False
        bound = log.bind(shop=shop.domain, operation=operation.name)
        while True:
            wait = await self._throttle.reserve(shop.domain, estimate)
            if wait > policy.max_inline_wait:
                await self._throttle.release(shop.domain, estimate)
                raise ThrottledByShopify(
                    f"{shop.domain}'s API rate limit is booked for {wait:.0f}s ahead; "
                    "run the job again later"
                )
            if wait > 0:
                self.stats.waited_seconds += wait
                await self._sleep(wait)
            token = await self._tokens(shop)
            try:
                response = await self._post(shop, operation, variables or {}, token)
            except httpx.TransportError as exc:
                # Shopify may or may not have run (and charged) it.
                await self._throttle.release(shop.domain, estimate, charged=True)
                transient += 1
                if transient >= policy.attempts:
                    raise ShopifyUnavailable(
                        f"Shopify unreachable for {shop.domain} after {transient} tries "
                        f"({type(exc).__name__}); the job will run again later"
                    ) from exc
                self.stats.transient_retries += 1
                bound.warning("shopify transport error, retrying", error=type(exc).__name__)
                await self._sleep(_jittered(transient, policy))
                continue
            if response.status_code == 401:
                await self._throttle.release(shop.domain, estimate)
                bound.warning("shopify rejected the access token", refreshed=refreshed)
                if (
                    not refreshed
                    and self._on_unauthorized is not None
                    and await self._on_unauthorized(shop, token)
                ):
                    refreshed = True
                    continue
                raise ShopTokenInvalid(
                    f"Shopify rejected the access token of {shop.domain}: its work stops until "
                    "the token is refreshed or the app reinstalled"
                )
            if response.status_code in RETRYABLE_STATUS:
                transient += 1
                await self._throttle.release(
                    shop.domain, estimate, charged=response.status_code != 429
                )
                if transient >= policy.attempts:
                    raise ShopifyUnavailable(
                        f"Shopify answered {response.status_code} for {shop.domain} "
                        f"{transient} times; the job will run again later"
                    )
                self.stats.transient_retries += 1
                delay = _retry_after(response)
                await self._sleep(
                    delay + random.uniform(0, 0.25)  # noqa: S311
                    if delay is not None
                    else _jittered(transient, policy)
                )
                continue
            if response.status_code != 200:
                raise ShopifyQueryError(
                    f"Shopify answered HTTP {response.status_code} to {operation.name} "
                    f"for {shop.domain}: {response.text[:200]}"
                )
            body = response.json()
            cost_info = (body.get("extensions") or {}).get("cost") or {}
            status = ThrottleStatus.from_cost(cost_info)
            requested = cost_info.get("requestedQueryCost")
            if isinstance(requested, int) and cost is None:
                self._learned_cost[operation.name] = requested
            errors = body.get("errors")
            if _is_throttled(errors):
                throttled += 1
                self.stats.throttled += 1
                need = float(requested) if isinstance(requested, int) else float(estimate)
                if status is not None:
                    await self._throttle.observe(shop.domain, status, reserved=estimate)
                    pause = status.wait_for(need)
                else:
                    await self._throttle.release(shop.domain, estimate)
                    pause = _jittered(throttled, policy)
                if throttled >= policy.throttled_attempts:
                    raise ThrottledByShopify(
                        f"{shop.domain} stayed throttled through {throttled} tries; "
                        "run the job again later"
                    )
                bound.info("throttled by shopify", wait=round(pause, 2))
                # The reservation made on the next turn waits for the bucket as well.
                await self._sleep(pause)
                continue
            if status is not None:
                await self._throttle.observe(shop.domain, status, reserved=estimate)
            else:
                await self._throttle.release(shop.domain, estimate, charged=True)
            if errors:
                messages = "; ".join(
                    str(e.get("message")) if isinstance(e, dict) else str(e) for e in errors
                )
                raise ShopifyQueryError(
                    f"Shopify refused {operation.name} for {shop.domain}: {messages[:500]}"
                )
            data = body.get("data")
            if not isinstance(data, dict):
                raise ShopifyQueryError(f"Shopify returned no data for {operation.name}")
            return data

    async def _post(
        self, shop: ShopRef, operation: Operation, variables: dict[str, Any], token: str
    ) -> httpx.Response:
        self.stats.calls += 1
        self.stats.per_operation[operation.name] = (
            self.stats.per_operation.get(operation.name, 0) + 1
        )
        return await self._http.post(
            self.endpoint(shop),
            json={
                "query": operation.document,
                "variables": variables,
                # Only a name the document declares: an anonymous document has none.
                "operationName": operation.name if operation.declares_name else None,
            },
            headers={"X-Shopify-Access-Token": token},
        )
