"""Finding a code discount Shopify just said exists: a create answered TAKEN for a code only we
know (our earlier attempt, a racing worker), while codeDiscountNodeByCode may trail the create."""

from __future__ import annotations

import asyncio

from app.codes.gateway import DiscountGateway
from app.shopify.admin.types import ShopRef

# Pauses (seconds) before asking again while the lookup finds nothing.
LOOKUP_RETRY_DELAYS = (0.2, 0.5, 1.0)


async def find_soon(gateway: DiscountGateway, shop: ShopRef, code: str) -> str | None:
    """The id of the discount holding `code`, asked again briefly while nothing is found."""
    found = await gateway.find_discount_by_code(shop, code)
    for delay in LOOKUP_RETRY_DELAYS:
        if found is not None:
            break
        await asyncio.sleep(delay)
        found = await gateway.find_discount_by_code(shop, code)
    return found
