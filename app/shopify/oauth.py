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
import structlog
from shopify_app.types import IdTokenDetails, TokenExchangeResult

from app.errors import InvalidSessionToken, ShopifyAuthError, ShopifyUnavailable
from app.i18n import Text
from app.settings import Settings
from app.shopify.verification import SessionToken, shopify_app

log = structlog.get_logger(__name__)

OFFLINE = "offline"

# shopify_app's log codes that say Shopify could not be reached or asked us to slow down: the
# same request may succeed later. Every other failure is an answer and retrying cannot help.
_TRANSIENT_CODES = frozenset({"network_error", "rate_limit_exceeded", "server_error"})


@dataclass(frozen=True)
class IssuedToken:
    """An offline access token as Shopify issued it, with its refresh token when expiring."""

    access_token: str
    scopes: frozenset[str]
    expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None
    # expires_in: what the refresh-ahead window is measured against.
    lifetime_seconds: int | None = None


class LostRefreshResponse(ShopifyUnavailable):
    """The refresh request may or may not have reached Shopify; the stored refresh token is kept
    and stays valid until its replacement is used (changelog 2026-08), so retrying recovers."""


class ShopUnknownToShopify(ShopifyAuthError):
    """Shopify has no such shop (closed, renamed or mistyped): no token can be issued for it."""

    status_code = 404


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
        lifetime_seconds=int(expires_in) if expires_in is not None else None,
    )


def _unreachable_at_install(reason: str) -> ShopifyUnavailable:
    return ShopifyUnavailable(
        Text(
            en=f"Shopify could not be reached to finish the install ({reason}); "
            "try installing again in a minute.",
            fr=f"Shopify n'a pas pu être joint pour terminer l'installation ({reason}) ; "
            "relancez l'installation dans une minute.",
        )
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
        raise _unreachable_at_install(type(exc).__name__) from None
    if response.status_code >= 500 or response.status_code == 429:
        raise _unreachable_at_install(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error", response.status_code) if isinstance(body, dict) else ""
        if error == "invalid_client":
            raise _credentials_refused(shop)
        raise ShopifyAuthError(
            Text(
                en=f"Shopify refused the authorization code ({error}); start the install "
                "again from the Shopify admin.",
                fr=f"Shopify a refusé le code d'autorisation ({error}) ; relancez "
                "l'installation depuis l'administration Shopify.",
            )
        )
    return _issued_from_answer(body, now)


def _credentials_refused(shop: str) -> ShopifyAuthError:
    # Shopify answers invalid_client both for credentials that are not the app's and for a
    # shop that has uninstalled the app (shopifyapp's reading of the error).
    return ShopifyAuthError(
        Text(
            en=f"Shopify refused Boomerang's app credentials for {shop}: either the app is no "
            "longer installed on this shop (install it again from the Shopify admin), or the "
            "configured SHOPIFY_API_KEY / SHOPIFY_API_SECRET are not this app's (the app's "
            "operator must fix them). Retrying will not help.",
            fr=f"Shopify a refusé les identifiants de l'application Boomerang pour {shop} : "
            "soit l'application n'est plus installée sur cette boutique (réinstallez-la depuis "
            "l'administration Shopify), soit les SHOPIFY_API_KEY / SHOPIFY_API_SECRET "
            "configurés ne sont pas ceux de l'application (l'exploitant doit les corriger). "
            "Réessayer n'y changera rien.",
        )
    )


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


def _lifetime(expires_at: datetime | None, now: datetime) -> int | None:
    """shopify_app hands back the expiry, not expires_in: the lifetime, to the second."""
    if expires_at is None:
        return None
    return max(1, round((expires_at - now).total_seconds()))


def _issued_from_result(result: TokenExchangeResult, now: datetime) -> IssuedToken:
    token = result.access_token
    if token is None:  # pragma: no cover - ok results always carry one
        raise ShopifyAuthError(
            Text(
                en="Shopify answered without a token; reopen the app.",
                fr="Shopify a répondu sans jeton ; rouvrez l'application.",
            )
        )
    expires_at = _iso(token.expires)
    return IssuedToken(
        access_token=token.token,
        scopes=parse_scopes(token.scope),
        expires_at=expires_at,
        refresh_token=token.refresh_token,
        refresh_token_expires_at=_iso(token.refresh_token_expires),
        lifetime_seconds=_lifetime(expires_at, now),
    )


def _shopify_status(result: TokenExchangeResult) -> int:
    """The HTTP status Shopify answered (0 when nothing came back). `result.response` is the
    library's suggested reply to *our* client, not Shopify's answer."""
    for entry in reversed(result.http_logs):
        if entry.res.status:
            return int(entry.res.status)
    return 0


def _exchange_failure(result: TokenExchangeResult, shop: str) -> Exception:
    """The error a failed token exchange means, from shopify_app's log code (and Shopify's own
    status for what the library files under `exchange_error`)."""
    code = result.log.code
    status = _shopify_status(result)
    log.warning("token exchange refused", shop=shop, code=code, status=status)
    if code == "invalid_subject_token":
        # App Bridge fetches a new session token and retries once (the 401's header).
        return InvalidSessionToken(
            Text(
                en="Shopify refused the session token (expired or not for this shop): "
                "App Bridge fetches a new one and retries.",
                fr="Shopify a refusé le jeton de session (expiré ou pour une autre boutique) : "
                "App Bridge en obtient un nouveau et réessaie.",
            )
        )
    if code == "invalid_client":
        return _credentials_refused(shop)
    if code in _TRANSIENT_CODES or status >= 500 or status == 429:
        return ShopifyUnavailable(
            Text(
                en=f"Shopify could not exchange the session token for {shop} right now "
                f"({code}); retry in a minute.",
                fr=f"Shopify n'a pas pu échanger le jeton de session pour {shop} pour le "
                f"moment ({code}) ; réessayez dans une minute.",
            )
        )
    if status == 404:
        return ShopUnknownToShopify(
            Text(
                en=f"Shopify knows no shop {shop}: it may be closed or renamed. Open Boomerang "
                "from the admin of an existing shop.",
                fr=f"Shopify ne connaît aucune boutique {shop} : elle a peut-être été fermée "
                "ou renommée. Ouvrez Boomerang depuis l'administration d'une boutique existante.",
            )
        )
    return ShopifyAuthError(
        Text(
            en=f"Shopify refused the session token exchange for {shop} ({code}, HTTP {status}); "
            "reopen Boomerang from the Shopify admin, and contact support if it persists.",
            fr=f"Shopify a refusé l'échange du jeton de session pour {shop} ({code}, "
            f"HTTP {status}) ; rouvrez Boomerang depuis l'administration Shopify et contactez "
            "le support si cela persiste.",
        )
    )


async def exchange_session_token(
    http: httpx.AsyncClient, settings: Settings, session: SessionToken
) -> IssuedToken:
    """Token exchange (managed installation): the App Bridge session token for an expiring
    offline access token. Raises InvalidSessionToken when Shopify refuses the session token,
    ShopifyUnavailable when it could not answer, ShopifyAuthError otherwise."""
    async with _library_client(http, settings) as client:
        result = await shopify_app(settings).exchange_using_token_exchange_async(
            OFFLINE,
            IdTokenDetails(exchangeable=True, token=session.token, claims=dict(session.claims)),
            expiring=True,
            http_client=client,
        )
    if not result.ok:
        raise _exchange_failure(result, session.shop)
    return _issued_from_result(result, datetime.now(UTC))


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
        return _issued_from_result(result, datetime.now(UTC))
    if result.log.code in {"invalid_grant", "invalid_client", "refresh_token_expired"}:
        raise ShopifyAuthError(
            Text(
                en=f"Shopify refused to refresh the token of {shop} ({result.log.code}); "
                "the merchant must reopen Boomerang from the Shopify admin.",
                fr=f"Shopify a refusé de renouveler le jeton de {shop} ({result.log.code}) ; "
                "le marchand doit rouvrir Boomerang depuis l'administration Shopify.",
            )
        )
    raise LostRefreshResponse(
        Text(
            en=f"Refreshing the token of {shop} got no answer ({result.log.code}); "
            "the stored refresh token stays valid, retry.",
            fr=f"Le renouvellement du jeton de {shop} est resté sans réponse "
            f"({result.log.code}) ; le jeton de renouvellement enregistré reste valable, "
            "réessayez.",
        )
    )
