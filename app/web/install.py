"""Install through the authorization-code grant: `/auth` sends the merchant to Shopify's grant
screen, `/auth/callback` checks Shopify's answer, stores the token and opens the embedded app.

Both are pages a merchant's browser lands on, so a failure is a small page in their language
(title, what to do, and the specific reason) with the error's status code, not JSON."""

from __future__ import annotations

import base64
import binascii
import time
from html import escape
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from redis.exceptions import RedisError

from app.errors import BoomerangError, InvalidOAuthCallback, ServiceUnavailable
from app.i18n import Locale, Text, request_locale, t
from app.installs.oauth_state import COOKIE_NAME, STATE_LIFETIME_SECONDS, check_state, new_state
from app.installs.service import complete_install, record_install
from app.platform.resources import Resources
from app.settings import Settings
from app.shopify.oauth import exchange_code
from app.shopify.verification import shop_domain, verify_oauth_query
from app.web.deps import ResourcesDep

log = structlog.get_logger(__name__)

router = APIRouter(tags=["install"])

CALLBACK_PATH = "/auth/callback"


def install_error_page(error: BoomerangError, locale: Locale) -> str:
    title = t("install.error_title", locale)
    return f"""<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="boomerang-error" content="{escape(type(error).__name__)}">
<title>{escape(title)} · {escape(t("app.title", locale))}</title>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p>{escape(t("install.failed", locale))}</p>
<p id="reason">{escape(error.detail_in(locale))}</p>
</main>
</body>
</html>
"""


def install_failure(request: Request, error: BoomerangError) -> HTMLResponse:
    """The merchant-facing answer to a failed install step."""
    log.warning("install step failed", path=request.url.path, error=type(error).__name__)
    return HTMLResponse(
        install_error_page(error, request_locale(request)),
        status_code=error.status_code,
        headers=error.headers,
    )


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


@router.get("/auth", response_model=None)
async def begin_install(
    request: Request, resources: ResourcesDep, shop: str | None = None
) -> Response:
    try:
        return _begin_install(resources.settings, shop)
    except BoomerangError as error:
        return install_failure(request, error)


def _begin_install(settings: Settings, shop: str | None) -> Response:
    domain = shop_domain(shop)
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


@router.get(CALLBACK_PATH, response_model=None)
async def finish_install(request: Request, resources: ResourcesDep) -> Response:
    try:
        return await _finish_install(request, resources)
    except BoomerangError as error:
        return install_failure(request, error)


def _restart(en: str, fr: str) -> InvalidOAuthCallback:
    return InvalidOAuthCallback(
        Text(
            en=f"{en}: start the install again from the Shopify admin.",
            fr=f"{fr} : relancez l'installation depuis l'administration Shopify.",
        )
    )


async def _finish_install(request: Request, resources: Resources) -> Response:
    settings = resources.settings
    params = dict(request.query_params)
    domain = shop_domain(params.get("shop"))
    verify_oauth_query(settings, params)
    timestamp = params.get("timestamp", "")
    if (
        not timestamp.isdigit()
        or abs(time.time() - int(timestamp)) > settings.oauth_callback_max_age_seconds
    ):
        raise _restart(
            "The callback's timestamp is too old",
            "L'horodatage du retour de Shopify est trop ancien",
        )
    nonce = check_state(settings, request.cookies.get(COOKIE_NAME), params.get("state", ""), domain)
    code = params.get("code")
    if not code:
        raise _restart(
            "The callback carries no authorization code",
            "Le retour de Shopify ne contient pas de code d'autorisation",
        )
    try:
        first_use = await resources.redis.set(
            f"oauth-state:{nonce}", "used", nx=True, ex=STATE_LIFETIME_SECONDS
        )
    except RedisError:
        raise ServiceUnavailable(
            Text(
                en="The install cannot be checked right now; retry in a minute.",
                fr="L'installation ne peut pas être vérifiée pour le moment ; réessayez dans "
                "une minute.",
            )
        ) from None
    if not first_use:
        raise _restart("This install link was already used", "Ce lien d'installation a déjà servi")
    issued = await exchange_code(resources.http, settings, domain, code)
    shop_id = await record_install(resources, domain, issued)
    await complete_install(resources, shop_id, domain)
    response = RedirectResponse(
        embedded_app_url(settings, domain, params.get("host")), status_code=302
    )
    response.delete_cookie(COOKIE_NAME, path="/auth")
    return response
