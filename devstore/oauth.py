"""OAuth as Shopify plays it: authorize redirect, code grant, token exchange, refresh rotation.

Also mints App Bridge session tokens, which the real admin hands the embedded app.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from devstore.runtime import Runtime
from devstore.state import AccessToken, AuthorizationCode, RefreshToken

# Grant and token-type URNs, not secrets.
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105
ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token"  # noqa: S105


class OAuthError(Exception):
    """An OAuth failure, answered as `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status)


def shopify_hmac(params: dict[str, str], secret: str) -> str:
    """Hex HMAC-SHA256 over the sorted `key=value` pairs joined by `&` (hmac itself left out)."""
    message = "&".join(
        f"{key}={value}"
        for key, value in sorted(params.items())
        if key not in {"hmac", "signature"}
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def admin_host(shop_domain: str) -> str:
    """The `host` parameter: base64 of `admin.shopify.com/store/{handle}`, padding dropped."""
    handle = shop_domain.removesuffix(".myshopify.com")
    raw = f"admin.shopify.com/store/{handle}".encode()
    return base64.b64encode(raw).decode().rstrip("=")


def mint_session_token(
    runtime: Runtime,
    shop: str,
    *,
    user_id: int = 1,
    lifetime: float = 60.0,
    secret: str | None = None,
    audience: str | None = None,
    issued_at: float | None = None,
) -> str:
    """An App Bridge session token for `shop` (HS256 with the client secret, about a minute)."""
    now = runtime.clock.now().timestamp() if issued_at is None else issued_at
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": audience or runtime.config.api_key,
        "sub": str(user_id),
        "exp": int(now + lifetime),
        "nbf": int(now),
        "iat": int(now),
        "jti": str(uuid.uuid4()),
        "sid": hashlib.sha256(f"{shop}:{user_id}".encode()).hexdigest()[:32],
    }
    return jwt.encode(claims, secret or runtime.config.api_secret, algorithm="HS256")


@dataclass
class IssuedTokens:
    access: AccessToken
    refresh: RefreshToken | None
    lifetime: float | None


class OAuthService:
    """The rules of Shopify's authorization server, free of HTTP."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # -- authorize -------------------------------------------------------------------------

    def authorize(self, shop: str, params: dict[str, str], grant_options: list[str]) -> str:
        """Validate an authorize request and return the callback URL Shopify redirects to."""
        config = self.runtime.config
        if params.get("client_id") != config.api_key:
            raise OAuthError("invalid_request", "The client_id is invalid or missing")
        requested = {scope.strip() for scope in params.get("scope", "").split(",") if scope.strip()}
        unknown = requested - set(config.scopes)
        if unknown:
            raise OAuthError("invalid_scope", f"Unknown scopes: {', '.join(sorted(unknown))}")
        redirect_uri = params.get("redirect_uri", "")
        if not _under(redirect_uri, config.app_url):
            raise OAuthError("invalid_request", "The redirect_uri is not whitelisted")
        state = params.get("state", "")
        if not state:
            raise OAuthError("invalid_request", "The state parameter is missing")
        clock = self.runtime.clock
        self.mark_installed(shop)  # the merchant approved the install on this page
        code = secrets.token_hex(16)
        self.runtime.store.authorization_codes[code] = AuthorizationCode(
            code=code,
            shop=shop,
            scope=",".join(sorted(requested)),
            expires_at=clock.monotonic() + config.authorization_code_lifetime,
            online="per-user" in grant_options,
        )
        answer = {
            "code": code,
            "host": admin_host(shop),
            "shop": shop,
            "state": state,
            "timestamp": str(int(clock.now().timestamp())),
        }
        answer["hmac"] = shopify_hmac(answer, config.api_secret)
        separator = "&" if "?" in redirect_uri else "?"
        return redirect_uri + separator + urlencode(answer)

    # -- access_token ----------------------------------------------------------------------

    def token(self, shop: str, params: dict[str, str]) -> dict[str, Any]:
        config = self.runtime.config
        if params.get("client_id") != config.api_key:
            raise OAuthError("invalid_client", "Client credentials are invalid")
        if not hmac.compare_digest(params.get("client_secret", ""), config.api_secret):
            raise OAuthError("invalid_client", "Client credentials are invalid")
        grant = params.get("grant_type", "")
        expiring = params.get("expiring", "0") in {"1", "true", "True"}
        if grant in {"", "authorization_code"} and "code" in params:
            issued = self._code_grant(shop, params["code"], expiring)
        elif grant == TOKEN_EXCHANGE_GRANT:
            issued = self._token_exchange(shop, params, expiring)
        elif grant == "refresh_token":
            issued = self._refresh(shop, params.get("refresh_token", ""))
        elif grant in {"", "authorization_code"}:
            raise OAuthError("invalid_request", "Missing required parameter: code")
        else:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant}")
        return self._answer(issued)

    def _code_grant(self, shop: str, code: str, expiring: bool) -> IssuedTokens:
        record = self.runtime.store.authorization_codes.get(code)
        now = self.runtime.clock.monotonic()
        if record is None or record.shop != shop or record.used:
            raise OAuthError(
                "invalid_request", "The authorization code was not found or was already used"
            )
        record.used = True
        if now >= record.expires_at:
            raise OAuthError("invalid_request", "The authorization code has expired")
        return self._issue(shop, record.scope, online=record.online, expiring=expiring)

    def _token_exchange(self, shop: str, params: dict[str, str], expiring: bool) -> IssuedTokens:
        subject = params.get("subject_token", "")
        if not subject:
            # The error Shopify's token endpoint answers without a subject token.
            raise OAuthError("missing_subject_token", "Missing required parameter: subject_token")
        found = self.runtime.store.shop(shop)
        if found is not None and found.uninstalled:
            # Shopify's own library reads invalid_client as "client credentials are invalid
            # or the app has been uninstalled" (shopifyapp, token exchange errors).
            raise OAuthError("invalid_client", "Client credentials are invalid")
        if params.get("subject_token_type") != ID_TOKEN_TYPE:
            raise OAuthError("invalid_request", "Unsupported subject_token_type")
        requested = params.get("requested_token_type", OFFLINE_TOKEN_TYPE)
        if requested not in {OFFLINE_TOKEN_TYPE, ONLINE_TOKEN_TYPE}:
            raise OAuthError("invalid_request", "Unsupported requested_token_type")
        claims = self.verify_session_token(subject, shop)
        scope = ",".join(sorted(self.runtime.config.scopes))
        online = requested == ONLINE_TOKEN_TYPE
        user_id = int(claims["sub"]) if str(claims.get("sub", "")).isdigit() else None
        return self._issue(shop, scope, online=online, expiring=expiring, user_id=user_id)

    def verify_session_token(self, token: str, shop: str) -> dict[str, Any]:
        """Check an App Bridge session token the way Shopify's token endpoint does."""
        config = self.runtime.config
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                config.api_secret,
                algorithms=["HS256"],
                audience=config.api_key,
                # Expiry is judged against the simulator's clock below, not the host's.
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError as error:
            raise OAuthError(
                "invalid_subject_token", f"Session token is invalid: {error}"
            ) from None
        now = self.runtime.clock.now().timestamp()
        leeway = config.session_token_leeway
        if float(claims.get("exp", 0)) + leeway < now:
            raise OAuthError("invalid_subject_token", "Session token has expired")
        if float(claims.get("nbf", 0)) - leeway > now:
            raise OAuthError("invalid_subject_token", "Session token is not yet valid")
        if claims.get("dest") != f"https://{shop}" or claims.get("iss") != f"https://{shop}/admin":
            raise OAuthError("invalid_subject_token", "Session token was issued for another shop")
        return claims

    def _refresh(self, shop: str, token: str) -> IssuedTokens:
        store = self.runtime.store
        record = store.refresh_tokens.get(token)
        now = self.runtime.clock.monotonic()
        if record is None or record.shop != shop or record.retired or now >= record.expires_at:
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        grace = self.runtime.config.refresh_token_grace
        if record.first_used_at is not None and now - record.first_used_at > grace:
            record.retired = True
            raise OAuthError("invalid_grant", "Token has been expired or revoked.")
        if record.first_used_at is None:
            record.first_used_at = now
        # Using a refresh token retires the one it replaced (2026-08 rule): the app has
        # evidently stored this pair, so the older token's recovery window closes.
        for other in store.refresh_tokens.values():
            if other.replaced_by == record.token:
                other.retired = True
        # A retry of this token supersedes a replacement the app never received.
        if record.replaced_by is not None:
            lost = store.refresh_tokens.get(record.replaced_by)
            if lost is not None and lost.first_used_at is None:
                lost.retired = True
        issued = self._issue(shop, record.scope, online=record.online, expiring=True)
        if issued.refresh is None:  # pragma: no cover - expiring offline grants always have one
            raise OAuthError("server_error", "no refresh token issued")
        record.replaced_by = issued.refresh.token
        return issued

    def _issue(
        self,
        shop: str,
        scope: str,
        *,
        online: bool,
        expiring: bool,
        user_id: int | None = None,
    ) -> IssuedTokens:
        config = self.runtime.config
        store = self.runtime.store
        now = self.runtime.clock.monotonic()
        lifetime = config.access_token_lifetime if (expiring or online) else None
        access = AccessToken(
            token=("shpua_" if online else "shpat_") + secrets.token_hex(16),
            shop=shop,
            scope=scope,
            expires_at=None if lifetime is None else now + lifetime,
            online=online,
            user_id=user_id,
        )
        store.access_tokens[access.token] = access
        refresh: RefreshToken | None = None
        if expiring and not online:
            refresh = RefreshToken(
                token="shprt_" + secrets.token_hex(16),
                shop=shop,
                scope=scope,
                expires_at=now + config.refresh_token_lifetime,
            )
            store.refresh_tokens[refresh.token] = refresh
        self.mark_installed(shop)
        return IssuedTokens(access=access, refresh=refresh, lifetime=lifetime)

    def _answer(self, issued: IssuedTokens) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": issued.access.token, "scope": issued.access.scope}
        if issued.lifetime is not None:
            body["expires_in"] = int(issued.lifetime)
        if issued.refresh is not None:
            body["refresh_token"] = issued.refresh.token
            body["refresh_token_expires_in"] = int(self.runtime.config.refresh_token_lifetime)
        if issued.access.online:
            body["associated_user_scope"] = issued.access.scope
            body["associated_user"] = {
                "id": issued.access.user_id or 1,
                "first_name": "Dev",
                "last_name": "Owner",
                "email": "owner@example.com",
                "email_verified": True,
                "account_owner": True,
                "locale": "en",
                "collaborator": False,
            }
        return body

    def mark_installed(self, shop: str) -> None:
        found = self.runtime.store.shop(shop)
        if found is not None:
            found.installed = True
            found.uninstalled = False

    def revoke_shop(self, shop: str) -> None:
        """Uninstall: every token of the shop stops working."""
        store = self.runtime.store
        for access in store.access_tokens.values():
            if access.shop == shop:
                access.revoked = True
        for refresh in store.refresh_tokens.values():
            if refresh.shop == shop:
                refresh.retired = True


def _under(url: str, base: str) -> bool:
    """Whether `url` is on the app's origin and under its path (Shopify's allow-list check)."""
    target, root = urlsplit(url), urlsplit(base)
    if (target.scheme, target.netloc) != (root.scheme, root.netloc):
        return False
    return target.path.startswith(root.path.rstrip("/") + "/") or target.path == root.path


async def read_params(request: Request) -> dict[str, str]:
    """Query string plus a form or JSON body, as Shopify's token endpoint accepts both."""
    params = {key: value for key, value in request.query_params.items()}
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        try:
            payload = json.loads(await request.body() or b"{}")
        except ValueError:
            raise OAuthError("invalid_request", "The request body is not valid JSON") from None
        if isinstance(payload, dict):
            params.update({str(key): str(value) for key, value in payload.items()})
    else:
        # application/x-www-form-urlencoded, parsed here to avoid needing python-multipart
        body = (await request.body()).decode("utf-8", errors="replace")
        params.update(dict(parse_qsl(body, keep_blank_values=True)))
    return params


class OAuthRoutes:
    """Starlette handlers for `/{shop}/admin/oauth/...`."""

    def __init__(self, service: OAuthService) -> None:
        self.service = service

    async def authorize(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        if self.service.runtime.store.shop(shop) is None:
            return HTMLResponse("<h1>There's no page at this address</h1>", status_code=404)
        params = {key: value for key, value in request.query_params.items()}
        grant_options = request.query_params.getlist("grant_options[]")
        params.pop("grant_options[]", None)
        try:
            location = self.service.authorize(shop, params, grant_options)
        except OAuthError as error:
            page = f"<h1>Oauth error {error.error}: {error.description}</h1>"
            return HTMLResponse(page, status_code=400)
        return RedirectResponse(location, status_code=302)

    async def access_token(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        if self.service.runtime.store.shop(shop) is None:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        try:
            params = await read_params(request)
            return JSONResponse(self.service.token(shop, params))
        except OAuthError as error:
            return error.response()
