"""The GraphQL Admin API client: one pooled httpx client per process, the shop's token from an
injected provider, the shared per-shop throttle, and retries that know which failures pass.

- THROTTLED answers wait (requested − available) / restoreRate and go again;
- network errors, 5xx, a 200 that is not JSON, and 429 back off with full jitter, or for the
  time Retry-After says when the answer carries one;
- every reservation of the shared throttle is settled however the call ends (answer, error,
  cancellation), and expires on its own if the process dies first;
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

from app import metrics
from app.errors import (
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopTokenInvalid,
    ThrottledByShopify,
)
from app.i18n import Text
from app.shopify.admin.types import ShopRef, TokenProvider, UnauthorizedHandler
from app.shopify.throttle import Reservation, ShopThrottle, ThrottleStatus

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


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object, or None when it is not one (a proxy's page, a cut body)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


async def _release_quietly(
    throttle: ShopThrottle, reservation: Reservation, *, charged: bool
) -> None:
    # Shielded: a second cancellation must not stop the release half way. A failure here
    # (Redis gone) is not worth hiding the original error for: the reservation expires.
    try:
        await asyncio.shield(throttle.release(reservation, charged=charged))
    except Exception:
        log.warning("throttle reservation not released; it expires on its own", exc_info=True)


@dataclass(frozen=True)
class _Answer:
    response: httpx.Response
    # The JSON object of a 200 answer; None for other statuses or a body that is not JSON.
    body: dict[str, Any] | None


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

    def learned_cost(self, operation_name: str) -> int | None:
        """The requestedQueryCost Shopify last reported for this operation, if any."""
        return self._learned_cost.get(operation_name)

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
        resend_uncertain: bool = True,
    ) -> dict[str, Any]:
        """Run `operation` for `shop` and return its `data`. `cost` overrides the estimate when
        it depends on the variables (e.g. a connection's `first`). `resend_uncertain=False` is
        for a mutation that is not idempotent (storeCreditAccountCredit takes no key): after a
        failure Shopify may have run it through (a connection lost once the request was sent,
        a 5xx, a 200 that is not JSON) it raises ShopifyUnavailable at once instead of sending
        it again, and the caller finds out what happened before trying again. Answers refused
        before anything ran (429, THROTTLED, 401) are retried as always."""
        estimate = cost if cost is not None else operation.cost
        estimate = max(estimate, self._learned_cost.get(operation.name, 0) if cost is None else 0)
        policy = self._policy
        transient = 0
        throttled = 0
        refreshed = False
        bound = log.bind(shop=shop.domain, operation=operation.name)
        while True:
            # The token first: a provider that fails (invalid token, lost refresh) must not
            # leave points reserved.
            token = await self._tokens(shop)
            try:
                answer = await self._call(shop, operation, variables or {}, token, estimate)
            except httpx.TransportError as exc:
                # Shopify may or may not have run (and charged) it.
                transient += 1
                sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if transient >= policy.attempts or (sent and not resend_uncertain):
                    raise ShopifyUnavailable(
                        Text(
                            en=f"Shopify could not be reached for {shop.domain} after "
                            f"{transient} tries ({type(exc).__name__}); the job will run again "
                            "later.",
                            fr=f"Shopify est resté injoignable pour {shop.domain} après "
                            f"{transient} essais ({type(exc).__name__}) ; la tâche sera "
                            "relancée plus tard.",
                        )
                    ) from exc
                self.stats.transient_retries += 1
                bound.warning("shopify transport error, retrying", error=type(exc).__name__)
                await self._sleep(_jittered(transient, policy))
                continue
            response, body = answer.response, answer.body
            if response.status_code == 401:
                bound.warning("shopify rejected the access token", refreshed=refreshed)
                if (
                    not refreshed
                    and self._on_unauthorized is not None
                    and await self._on_unauthorized(shop, token)
                ):
                    refreshed = True
                    continue
                raise ShopTokenInvalid(
                    Text(
                        en=f"Shopify rejected the access token of {shop.domain}: its work stops "
                        "until the merchant opens Boomerang in the Shopify admin again.",
                        fr=f"Shopify a refusé le jeton d'accès de {shop.domain} : ses tâches "
                        "sont suspendues jusqu'à ce que le marchand rouvre Boomerang depuis "
                        "l'administration Shopify.",
                    )
                )
            retryable = response.status_code in RETRYABLE_STATUS
            if retryable or (response.status_code == 200 and body is None):
                transient += 1
                # 429 is refused before the query runs; 5xx and a cut body may have run.
                uncertain = response.status_code != 429
                if transient >= policy.attempts or (uncertain and not resend_uncertain):
                    what = str(response.status_code) if retryable else "200 without JSON"
                    raise ShopifyUnavailable(
                        Text(
                            en=f"Shopify answered {what} for {shop.domain} {transient} times; "
                            "the job will run again later.",
                            fr=f"Shopify a répondu {what} pour {shop.domain} {transient} fois ; "
                            "la tâche sera relancée plus tard.",
                        )
                    )
                self.stats.transient_retries += 1
                delay = _retry_after(response)
                bound.warning(
                    "shopify answered a transient failure, retrying",
                    status=response.status_code,
                    retry_after=delay,
                )
                await self._sleep(
                    delay + random.uniform(0, 0.25)  # noqa: S311
                    if delay is not None
                    else _jittered(transient, policy)
                )
                continue
            if response.status_code != 200 or body is None:
                raise ShopifyQueryError(
                    Text(
                        en=f"Shopify answered HTTP {response.status_code} to {operation.name} "
                        f"for {shop.domain}: {response.text[:200]}",
                        fr=f"Shopify a répondu HTTP {response.status_code} à {operation.name} "
                        f"pour {shop.domain} : {response.text[:200]}",
                    )
                )
            cost_info = (body.get("extensions") or {}).get("cost") or {}
            requested = cost_info.get("requestedQueryCost")
            if isinstance(requested, int) and cost is None:
                self._learned_cost[operation.name] = requested
            errors = body.get("errors")
            if _is_throttled(errors):
                throttled += 1
                self.stats.throttled += 1
                need = float(requested) if isinstance(requested, int) else float(estimate)
                status = ThrottleStatus.from_cost(cost_info)
                pause = status.wait_for(need) if status else _jittered(throttled, policy)
                if throttled >= policy.throttled_attempts:
                    raise ThrottledByShopify(
                        Text(
                            en=f"{shop.domain} stayed throttled by Shopify through {throttled} "
                            "tries; the job will run again later.",
                            fr=f"Shopify a limité les appels de {shop.domain} pendant "
                            f"{throttled} essais ; la tâche sera relancée plus tard.",
                        )
                    )
                bound.info("throttled by shopify", wait=round(pause, 2))
                metrics.SHOPIFY_THROTTLE_WAITS.labels("throttled").inc()
                metrics.SHOPIFY_THROTTLE_WAIT_SECONDS.labels("throttled").inc(pause)
                # The reservation made on the next turn waits for the bucket as well.
                await self._sleep(pause)
                continue
            if errors:
                messages = "; ".join(
                    str(e.get("message")) if isinstance(e, dict) else str(e) for e in errors
                )
                raise ShopifyQueryError(
                    Text(
                        en=f"Shopify refused {operation.name} for {shop.domain}: {messages[:500]}",
                        fr=f"Shopify a refusé {operation.name} pour {shop.domain} : "
                        f"{messages[:500]}",
                    )
                )
            data = body.get("data")
            if not isinstance(data, dict):
                raise ShopifyQueryError(
                    Text(
                        en=f"Shopify returned no data for {operation.name} ({shop.domain}).",
                        fr=f"Shopify n'a renvoyé aucune donnée pour {operation.name} "
                        f"({shop.domain}).",
                    )
                )
            return data

    async def _call(
        self,
        shop: ShopRef,
        operation: Operation,
        variables: dict[str, Any],
        token: str,
        estimate: int,
    ) -> _Answer:
        """One reservation, one request: the reservation is settled on every way out, an
        answer's cost report correcting the mirror, anything else (an error, a cancellation,
        a timeout) releasing it, charged when the request may have reached Shopify."""
        reservation = await self._throttle.reserve(shop.domain, estimate)
        sent = settled = False
        try:
            if reservation.wait > self._policy.max_inline_wait:
                raise ThrottledByShopify(
                    Text(
                        en=f"{shop.domain}'s Shopify rate limit is booked for "
                        f"{reservation.wait:.0f}s ahead; the job will run again later.",
                        fr=f"La limite d'appels Shopify de {shop.domain} est réservée pour les "
                        f"{reservation.wait:.0f} prochaines secondes ; la tâche sera relancée "
                        "plus tard.",
                    )
                )
            if reservation.wait > 0:
                self.stats.waited_seconds += reservation.wait
                metrics.SHOPIFY_THROTTLE_WAITS.labels("reserved").inc()
                metrics.SHOPIFY_THROTTLE_WAIT_SECONDS.labels("reserved").inc(reservation.wait)
                await self._sleep(reservation.wait)
            sent = True
            response = await self._post(shop, operation, variables, token)
            body = _json_body(response) if response.status_code == 200 else None
            status = ThrottleStatus.from_cost(
                ((body or {}).get("extensions") or {}).get("cost") or {}
            )
            if status is not None:
                await self._throttle.observe(reservation, status)
            else:
                # 401 and 429 are refused before the query runs; 5xx and the rest may have run.
                uncharged = response.status_code in (401, 429) or (
                    body is not None and _is_throttled(body.get("errors"))
                )
                await self._throttle.release(reservation, charged=not uncharged)
            settled = True
            return _Answer(response, body)
        finally:
            if not settled:
                await _release_quietly(self._throttle, reservation, charged=sent)

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
