"""Session-token auth for the admin API: `CurrentShop` is the verified, installed shop.

The shop comes only from the verified App Bridge token, never from a query parameter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from app.errors import ShopNotInstalled
from app.models import Shop
from app.shopify.verification import SessionToken, verify_session_token
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api", tags=["auth"])


def session_token(request: Request, resources: ResourcesDep) -> SessionToken:
    return verify_session_token(
        resources.settings, request.headers.get("authorization"), str(request.url)
    )


SessionTokenDep = Annotated[SessionToken, Depends(session_token)]


async def current_shop(token: SessionTokenDep, resources: ResourcesDep) -> Shop:
    """The installed shop the session token speaks for, loaded in its own short transaction."""
    async with resources.sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == token.shop))
    if shop is None or shop.uninstalled_at is not None or shop.access_token_encrypted is None:
        raise ShopNotInstalled(
            f"{token.shop} has not installed Boomerang: open the app from the Shopify admin."
        )
    return shop


CurrentShop = Annotated[Shop, Depends(current_shop)]


@router.get("/session")
async def whoami(shop: CurrentShop) -> dict[str, str | None]:
    """Which shop the session token speaks for (the frontend's first call)."""
    return {"shop": shop.domain, "name": shop.name, "locale": shop.locale}
