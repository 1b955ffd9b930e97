"""Install through the authorization-code grant: `/auth` sends the merchant to Shopify's grant
screen, `/auth/callback` checks Shopify's answer, stores the token and opens the embedded app."""

from __future__ import annotations

import base64
import binascii
import time
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from redis.exceptions import RedisError

from app.errors import InvalidOAuthCallback, InvalidShopDomain, ServiceUnavailable
from app.i18n import pick_locale, t
from app.installs.oauth_state import COOKIE_NAME, STATE_LIFETIME_SECONDS, check_state, new_state
from app.installs.service import complete_install, record_install
from app.settings import Settings
from app.shopify.oauth import exchange_code
from app.shopify.verification import shop_domain, verify_oauth_query
from app.web.deps import ResourcesDep

router = APIRouter(tags=["install"])

CALLBACK_PATH = "/auth/callback"


def localized_shop_domain(request: Request, value: str | None) -> str:
    try:
        return shop_domain(value)
    except InvalidShopDomain:
        locale = pick_locale(
            request.query_params.get("locale"), request.headers.get("accept-language")
        )
        raise InvalidShopDomain(t("install.invalid_shop", locale)) from None


def authorize_url(settings: Settings, shop: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": settings.shopify_api_key,
            "scope": ",".join(sorted(settings.scopes)),
            "redirect_uri": settings.app_url.rstrip("/") + CALLBACK_PATH,
            "state": state,
        }
    )
    return f"{settings.admin_url(shop)}/admin/oauth/authorize?{query}"


def embedded_app_url(settings: Settings, shop: str, host: str | None) -> str:
    """Where the merchant lands after install: the app inside the admin. `host` is base64 of
    the admin's host (`admin.shopify.com/store/{handle}`); anything else falls back to the
    shop's own admin URL."""
    handle = shop.removesuffix(".myshopify.com")
    if host:
        try:
            decoded = base64.b64decode(host + "=" * (-len(host) % 4), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if decoded in {f"admin.shopify.com/store/{handle}", f"{shop}/admin"}:
            return f"https://{decoded}/apps/{settings.shopify_api_key}"
    return f"https://{shop}/admin/apps/{settings.shopify_api_key}"


@router.get("/auth")
async def begin_install(
    request: Request, resources: ResourcesDep, shop: str | None = None
) -> RedirectResponse:
    domain = localized_shop_domain(request, shop)
    settings = resources.settings
    state = new_state(settings, domain)
    response = RedirectResponse(authorize_url(settings, domain, state.nonce), status_code=302)
    response.set_cookie(
        COOKIE_NAME,
        state.cookie,
        max_age=STATE_LIFETIME_SECONDS,
        path="/auth",
        httponly=True,
        secure=settings.app_url.startswith("https://"),
        # The callback is a top-level GET redirect from Shopify: Lax cookies travel with it.
        samesite="lax",
    )
    return response


@router.get(CALLBACK_PATH)
async def finish_install(request: Request, resources: ResourcesDep) -> RedirectResponse:
    settings = resources.settings
    params = dict(request.query_params)
    domain = localized_shop_domain(request, params.get("shop"))
    verify_oauth_query(settings, params)
    timestamp = params.get("timestamp", "")
    if (
        not timestamp.isdigit()
        or abs(time.time() - int(timestamp)) > settings.oauth_callback_max_age_seconds
    ):
        raise InvalidOAuthCallback(
            "The callback's timestamp is too old: start the install again from the Shopify admin."
        )
    nonce = check_state(settings, request.cookies.get(COOKIE_NAME), params.get("state", ""), domain)
    code = params.get("code")
    if not code:
        raise InvalidOAuthCallback("The callback carries no code: start the install again.")
    try:
        first_use = await resources.redis.set(
            f"oauth-state:{nonce}", "used", nx=True, ex=STATE_LIFETIME_SECONDS
        )
    except RedisError:
        raise ServiceUnavailable(
            "The install cannot be checked right now; retry in a minute."
        ) from None
    if not first_use:
        raise InvalidOAuthCallback(
            "This install link was already used: start the install again from the Shopify admin."
        )
    issued = await exchange_code(resources.http, settings, domain, code)
    shop_id = await record_install(resources, domain, issued)
    await complete_install(resources, shop_id, domain)
    response = RedirectResponse(
        embedded_app_url(settings, domain, params.get("host")), status_code=302
    )
    response.delete_cookie(COOKIE_NAME, path="/auth")
    return response
