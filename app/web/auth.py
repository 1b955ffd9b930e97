"""Session-token auth for the admin API: `CurrentShop` is the verified, installed shop.

The shop comes only from the verified App Bridge token, never from a query parameter.

Managed installation (docs: app-installation) means Shopify installs the app and updates its
scopes without calling us; token exchange then hands out a token with whatever the merchant
has granted. So an /api call for a shop with no usable token installs it by token exchange,
and one for a shop whose token lacks a configured scope exchanges again to pick up the new
grant. If the merchant has not approved the new scopes yet, the shop is served with what it
granted (Shopify asks the merchant when they next open the app) and asked again at most every
SCOPE_RECHECK_SECONDS, not on every call.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request
from redis.exceptions import RedisError
from sqlalchemy import select

from app.errors import BoomerangError, ShopNotInstalled
from app.i18n import Text
from app.installs.service import complete_install, missing_scopes, record_install
from app.installs.status import has_usable_token
from app.models import Shop
from app.platform.resources import Resources
from app.shopify.oauth import exchange_session_token
from app.shopify.verification import SessionToken, verify_session_token
from app.web.deps import ResourcesDep

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/api", tags=["auth"])

SCOPE_RECHECK_SECONDS = 600


def session_token(request: Request, resources: ResourcesDep) -> SessionToken:
    return verify_session_token(
        resources.settings, request.headers.get("authorization"), str(request.url)
    )


SessionTokenDep = Annotated[SessionToken, Depends(session_token)]


async def load_shop(resources: Resources, domain: str) -> Shop | None:
    async with resources.sessions.begin() as session:
        return await session.scalar(select(Shop).where(Shop.domain == domain))


async def install_by_token_exchange(resources: Resources, token: SessionToken) -> None:
    issued = await exchange_session_token(resources.http, resources.settings, token)
    shop_id = await record_install(resources, token.shop, issued)
    await complete_install(resources, shop_id, token.shop)


async def _scopes_due_for_recheck(resources: Resources, domain: str) -> bool:
    try:
        first = await resources.redis.set(
            f"scope-recheck:{domain}", "1", nx=True, ex=SCOPE_RECHECK_SECONDS
        )
    except RedisError:
        return False  # the shop is served with its current grant; next call asks again
    return bool(first)


async def _regrant(resources: Resources, token: SessionToken, shop: Shop) -> Shop:
    """Exchange again for a token carrying newly approved scopes; keep serving the shop with
    the token it has when Shopify cannot say now."""
    try:
        await install_by_token_exchange(resources, token)
    except BoomerangError as exc:
        log.warning("scope re-grant failed", shop=shop.domain, error=type(exc).__name__)
        return shop
    refreshed = await load_shop(resources, token.shop)
    if refreshed is None:  # pragma: no cover - the row was just written
        return shop
    still = missing_scopes(resources.settings, refreshed)
    if still:
        log.info("scopes not granted yet", shop=shop.domain, missing=",".join(sorted(still)))
    return refreshed


async def current_shop(token: SessionTokenDep, resources: ResourcesDep) -> Shop:
    """The installed shop the session token speaks for, loaded in its own short transaction.
    A shop without a usable token (managed installation, or a token Shopify revoked) is
    installed first by exchanging the session token for an offline token; one lacking a
    configured scope is exchanged again (see the module's docstring)."""
    shop = await load_shop(resources, token.shop)
    if shop is None or not has_usable_token(shop):
        await install_by_token_exchange(resources, token)
        shop = await load_shop(resources, token.shop)
    elif missing_scopes(resources.settings, shop) and await _scopes_due_for_recheck(
        resources, shop.domain
    ):
        shop = await _regrant(resources, token, shop)
    if shop is None or not has_usable_token(shop):
        raise ShopNotInstalled(
            Text(
                en=f"{token.shop} has not installed Boomerang: open the app from the Shopify "
                "admin.",
                fr=f"{token.shop} n'a pas installé Boomerang : ouvrez l'application depuis "
                "l'administration Shopify.",
            )
        )
    return shop


CurrentShop = Annotated[Shop, Depends(current_shop)]


@router.get("/session")
async def whoami(shop: CurrentShop) -> dict[str, str | None]:
    """Which shop the session token speaks for (the frontend's first call)."""
    return {
        "shop": shop.domain,
        "name": shop.name,
        "locale": shop.locale,
        "currency": shop.currency,
        "timezone": shop.timezone,
    }
