"""The referral program on the storefront, through the app proxy (app/web/proxy.py):
`GET /proxy/referral` describes the program (the friend's offer, the advocate's reward) and,
for a logged-in customer who has one, gives their personal code and share link (the
storefront's theme words them; the answer holds figures, the code and the link)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.loyalty.shopper import customer_of
from app.referrals.links import referral_for_customer
from app.referrals.messages import friend_offer, reward_text
from app.referrals.settings import load_settings
from app.scenarios.modes import Mode
from app.web.deps import ResourcesDep
from app.web.proxy import PREFIX, StorefrontVisitor

router = APIRouter(prefix=f"{PREFIX}/referral", tags=["storefront"])


@router.get("")
async def referral_page(visitor: StorefrontVisitor, resources: ResourcesDep) -> JSONResponse:
    async with resources.sessions() as session:
        settings = await load_settings(session, visitor.shop_id)
        customer_id = (
            await customer_of(session, visitor.shop_id, visitor.shopify_customer_id)
            if visitor.shopify_customer_id is not None
            else None
        )
        own = (
            await referral_for_customer(
                session,
                shop_id=visitor.shop_id,
                customer_id=customer_id,
                app_url=resources.settings.app_url,
            )
            if customer_id is not None
            else None
        )
    body: dict[str, Any] = {
        "program": {
            "enabled": settings.mode != Mode.PAUSED,
            "friend_offer": friend_offer(settings),
            "friend_minimum_subtotal": (
                None
                if settings.friend_minimum_subtotal is None
                else str(settings.friend_minimum_subtotal)
            ),
            "reward": reward_text(settings, visitor.currency),
            "currency": visitor.currency,
        },
        "logged_in": visitor.shopify_customer_id is not None,
        "customer": (
            None if own is None else {"code": own.code, "link": own.link, "visits": own.visits}
        ),
    }
    # Each visitor's own code: never cached by the storefront's CDN.
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})
