"""The embedded app's document: the frontend shell inside the Shopify admin's iframe.

A shop that is not installed (or lacks a configured scope) is installed by token exchange when
the admin sent an `id_token` (which also picks up scopes the merchant approved since), and sent
through `/auth` otherwise, or when the exchanged token still lacks a scope: the code grant asks
the merchant for it. A failure is the install's error page, in the merchant's language.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.errors import BoomerangError, InvalidSessionToken
from app.i18n import Locale, pick_locale, t
from app.installs.service import needs_authorization
from app.platform.resources import Resources
from app.shopify.verification import shop_domain, verify_session_token
from app.web.auth import install_by_token_exchange, load_shop
from app.web.deps import ResourcesDep
from app.web.frontend_assets import EntryAssets, FrontendNotBuilt, entry_assets
from app.web.install import install_failure

router = APIRouter(tags=["embedded"])
log = structlog.get_logger(__name__)


def app_bridge_url(cdn_url: str) -> str:
    return f"{cdn_url}/shopifycloud/app-bridge.js"


def polaris_url(cdn_url: str) -> str:
    # The stable channel of Polaris web components 1.x (shopify.dev app-home web components).
    return f"{cdn_url}/shopifycloud/polaris-1.js"


def shell(api_key: str, locale: Locale, cdn_url: str, assets: EntryAssets | None) -> str:
    """The document the admin UI mounts in. App Bridge comes first and synchronously, as
    Shopify requires; the built entry follows as a module. Without a build it says so."""
    styles = (
        "".join(f'<link rel="stylesheet" href="{escape(href)}">\n' for href in assets.styles)
        if assets
        else ""
    )
    entry = f'<script type="module" src="{escape(assets.script)}"></script>\n' if assets else ""
    # Until the UI mounts: a skeleton of the page (the built stylesheet draws it), announced
    # as loading; without a build, what to do.
    body = (
        f'<div class="skeleton" role="status" aria-busy="true" '
        f'aria-label="{escape(t("app.loading", locale))}">'
        '<div class="skeleton-heading"></div>' + '<div class="skeleton-line"></div>' * 3 + "</div>"
        if assets
        else escape(t("app.not_built", locale))
    )
    return f"""<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="shopify-api-key" content="{escape(api_key)}">
<script src="{escape(app_bridge_url(cdn_url))}"></script>
<script src="{escape(polaris_url(cdn_url))}"></script>
<title>{escape(t("app.title", locale))}</title>
{styles}{entry}</head>
<body>
<main id="app">{body}</main>
</body>
</html>
"""


def exit_iframe(api_key: str, url: str, locale: Locale, cdn_url: str) -> str:
    """Shopify's grant screen refuses to be framed: App Bridge opens it in the top window."""
    target = json.dumps(url).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="shopify-api-key" content="{escape(api_key)}">
<script src="{escape(app_bridge_url(cdn_url))}"></script>
</head>
<body><script>window.open({target}, "_top");</script></body>
</html>
"""


def _frame_ancestors(domain: str, extra: str) -> str:
    origins = [f"https://{domain}", "https://admin.shopify.com"]
    origins += [o.strip() for o in extra.split(",") if o.strip()]
    return f"frame-ancestors {' '.join(origins)};"


async def _install_by_token_exchange(
    request: Request, resources: Resources, domain: str, id_token: str
) -> None:
    """Install with the id_token Shopify put in the URL, when it is valid and for this shop;
    otherwise the code grant follows."""
    try:
        token = verify_session_token(resources.settings, f"Bearer {id_token}", str(request.url))
        if token.shop == domain:
            await install_by_token_exchange(resources, token)
    except InvalidSessionToken:
        return  # also when it expired on its way to Shopify: the code grant needs none


@router.get("/", response_model=None)
async def embedded_home(
    request: Request,
    resources: ResourcesDep,
    shop: str | None = None,
    id_token: str | None = None,
    embedded: str | None = None,
    locale: str | None = None,
) -> Response:
    try:
        return await _embedded_home(request, resources, shop, id_token, embedded, locale)
    except BoomerangError as error:
        return install_failure(request, error)


async def _embedded_home(
    request: Request,
    resources: Resources,
    shop: str | None,
    id_token: str | None,
    embedded: str | None,
    locale: str | None,
) -> Response:
    domain = shop_domain(shop)
    settings = resources.settings
    chosen = pick_locale(locale, request.headers.get("accept-language"))
    if needs_authorization(settings, await load_shop(resources, domain)):
        if id_token:
            await _install_by_token_exchange(request, resources, domain, id_token)
        if needs_authorization(settings, await load_shop(resources, domain)):
            install = f"{settings.app_url.rstrip('/')}/auth?{urlencode({'shop': domain})}"
            if embedded == "1":
                return HTMLResponse(
                    exit_iframe(settings.shopify_api_key, install, chosen, settings.shopify_cdn_url)
                )
            return RedirectResponse(install, status_code=302)
    try:
        assets: EntryAssets | None = entry_assets(settings.frontend_dir)
    except FrontendNotBuilt as exc:
        log.warning("admin UI not built", problem=str(exc))
        assets = None
    return HTMLResponse(
        shell(settings.shopify_api_key, chosen, settings.shopify_cdn_url, assets),
        headers={
            "Content-Security-Policy": _frame_ancestors(domain, settings.extra_frame_ancestors)
        },
    )
