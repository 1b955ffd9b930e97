"""Session-token auth for the admin API: `CurrentShop` is the verified, installed shop.

The shop comes only from the verified App Bridge token, never from a query parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from app.errors import ShopNotInstalled
from app.installs.service import complete_install, record_install
from app.installs.status import has_usable_token
from app.models import Shop
from app.platform.resources import Resources
from app.shopify.oauth import exchange_session_token
from app.shopify.verification import SessionToken, verify_session_token
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api", tags=["auth"])


def session_token(request: Request, resources: ResourcesDep) -> SessionToken:
    return verify_session_token(
        resources.settings, request.headers.get("authorization"), str(request.url)
    )


SessionTokenDep = Annotated[SessionToken, Depends(session_token)]


async def _load(resources: Resources, domain: str) -> Shop | None:
    async with resources.sessions.begin() as session:
        return await session.scalar(select(Shop).where(Shop.domain == domain))


async def current_shop(token: SessionTokenDep, resources: ResourcesDep) -> Shop:
    """The installed shop the session token speaks for, loaded in its own short transaction.
    A shop without a usable token (managed installation, or a token Shopify revoked) is
    installed first by exchanging the session token for an offline token."""
    shop = await _load(resources, token.shop)
    if shop is None or not has_usable_token(shop):
        issued = await exchange_session_token(resources.http, resources.settings, token)
        shop_id = await record_install(resources, token.shop, issued)
        await complete_install(resources, shop_id, token.shop)
        shop = await _load(resources, token.shop)
    if shop is None or not has_usable_token(shop):
        raise ShopNotInstalled(
            f"{token.shop} has not installed Boomerang: open the app from the Shopify admin."
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
