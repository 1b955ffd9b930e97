"""Shopify's token endpoint (`POST {admin}/admin/oauth/access_token`): authorization-code grant,
token exchange and refresh of expiring offline tokens.

Token exchange and refresh go through `shopify_app`; the library builds `https://{shop}` URLs,
so its requests are routed through our shared client to `settings.admin_url(shop)` (the
simulator in tests). The code grant is not in the library and is posted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from shopify_app.types import IdTokenDetails, TokenExchangeResult

from app.errors import ShopifyAuthError, ShopifyUnavailable
from app.settings import Settings
from app.shopify.verification import SessionToken, shopify_app

OFFLINE = "offline"


@dataclass(frozen=True)
class IssuedToken:
    """An offline access token as Shopify issued it, with its refresh token when expiring."""

    access_token: str
    scopes: frozenset[str]
    expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None


class LostRefreshResponse(ShopifyUnavailable):
    """The refresh request may or may not have reached Shopify; the stored refresh token is kept
    and stays valid until its replacement is used (changelog 2026-08), so retrying recovers."""


def parse_scopes(raw: str) -> frozenset[str]:
    return frozenset(s.strip() for s in raw.split(",") if s.strip())


def _token_url(settings: Settings, shop: str) -> str:
    return f"{settings.admin_url(shop)}/admin/oauth/access_token"


def _issued_from_answer(body: Mapping[str, Any], now: datetime) -> IssuedToken:
    expires_in = body.get("expires_in")
    refresh_expires_in = body.get("refresh_token_expires_in")
    return IssuedToken(
        access_token=str(body["access_token"]),
        scopes=parse_scopes(str(body.get("scope", ""))),
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in is not None else None,
        refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
        refresh_token_expires_at=(
            now + timedelta(seconds=int(refresh_expires_in))
            if refresh_expires_in is not None
            else None
        ),
    )


async def exchange_code(
    http: httpx.AsyncClient, settings: Settings, shop: str, code: str
) -> IssuedToken:
    """Authorization-code grant, asking for an expiring offline token."""
    form = {
        "client_id": settings.shopify_api_key,
        "client_secret": settings.shopify_api_secret.get_secret_value(),
        "code": code,
        "expiring": "1",
    }
    now = datetime.now(UTC)
    try:
        response = await http.post(
            _token_url(settings, shop), data=form, headers={"Accept": "application/json"}
        )
    except httpx.HTTPError as exc:
        raise ShopifyUnavailable(
            f"Shopify could not be reached to finish the install ({type(exc).__name__}); "
            "try installing again."
        ) from None
    if response.status_code >= 500:
        raise ShopifyUnavailable("Shopify failed to issue a token; try installing again.")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error", response.status_code) if isinstance(body, dict) else ""
        raise ShopifyAuthError(
            f"Shopify refused the authorization code ({error}); start the install again."
        )
    return _issued_from_answer(body, now)


class _AdminUrlTransport(httpx.AsyncBaseTransport):
    """Sends `https://{shop}/…` requests built by shopify_app to `settings.admin_url(shop)/…`
    through the process's shared client."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self._http = http
        self._settings = settings

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self._settings.admin_url(request.url.host) + request.url.raw_path.decode()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() != "host"]
        forwarded = self._http.build_request(
            request.method, target, headers=headers, content=await request.aread()
        )
        answer = await self._http.send(forwarded)
        drop = {"content-encoding", "content-length", "transfer-encoding"}
        return httpx.Response(
            answer.status_code,
            headers=[(k, v) for k, v in answer.headers.items() if k.lower() not in drop],
            content=answer.content,
        )


def _library_client(http: httpx.AsyncClient, settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=_AdminUrlTransport(http, settings))


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _issued_from_result(result: TokenExchangeResult) -> IssuedToken:
    token = result.access_token
    if token is None:  # pragma: no cover - ok results always carry one
        raise ShopifyAuthError("Shopify answered without a token; reopen the app.")
    return IssuedToken(
        access_token=token.token,
        scopes=parse_scopes(token.scope),
        expires_at=_iso(token.expires),
        refresh_token=token.refresh_token,
        refresh_token_expires_at=_iso(token.refresh_token_expires),
    )


async def exchange_session_token(
    http: httpx.AsyncClient, settings: Settings, session: SessionToken
) -> IssuedToken:
    """Token exchange (managed installation): the App Bridge session token for an expiring
    offline access token."""
    async with _library_client(http, settings) as client:
        result = await shopify_app(settings).exchange_using_token_exchange_async(
            OFFLINE,
            IdTokenDetails(exchangeable=True, token=session.token, claims=dict(session.claims)),
            expiring=True,
            http_client=client,
        )
    if not result.ok:
        if result.response.status >= 500:
            raise ShopifyUnavailable("Shopify could not exchange the session token; retry soon.")
        raise ShopifyAuthError(
            f"Shopify refused the session token exchange ({result.log.code}); reopen the app."
        )
    return _issued_from_result(result)


async def refresh_offline_token(
    http: httpx.AsyncClient, settings: Settings, shop: str, refresh_token: str
) -> IssuedToken:
    """Use `refresh_token` once (Shopify rotates it): a new access and refresh token pair.
    Raises LostRefreshResponse when the answer did not arrive (keep the stored pair and retry),
    ShopifyAuthError when Shopify refused the refresh token."""
    handle = shop.removesuffix(".myshopify.com")
    async with _library_client(http, settings) as client:
        result = await shopify_app(settings).refresh_token_exchanged_access_token_async(
            # expires left empty: Boomerang decides when to refresh, not the library.
            {
                "shop": handle,
                "refresh_token": refresh_token,
                "expires": "",
                "refresh_token_expires": "",
                "access_mode": OFFLINE,
            },
            http_client=client,
        )
    if result.ok and result.access_token is not None:
        return _issued_from_result(result)
    if result.log.code in {"invalid_grant", "invalid_client", "refresh_token_expired"}:
        raise ShopifyAuthError(
            f"Shopify refused to refresh the token of {shop} ({result.log.code}); "
            "the merchant must reopen the app."
        )
    raise LostRefreshResponse(
        f"Refreshing the token of {shop} got no answer ({result.log.code}); "
        "the stored refresh token stays valid, retry."
    )
