"""Share links and what a customer can fetch of their own code: `APP_URL/r/{code}` records
the visit and sends the shopper to the shop's own `/discount/{code}` (Shopify applies the code
and lands on the storefront). Only a code we issued leads anywhere, and only to its shop's own
myshopify domain: there is no open redirect."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ReferralCode, ReferralVisit, Shop

# The shape of every code the codes service generates (PREFIX-XXXX…): anything else is
# refused before the database is asked.
CODE_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,63}$")
# Shopify's shop domains (docs/apps/build/authentication-authorization).
SHOP_DOMAIN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-]{0,62}\.myshopify\.com$")


def share_url(app_url: str, code: str) -> str:
    return f"{app_url.rstrip('/')}/r/{quote(code, safe='')}"


def discount_url(shop_domain: str, code: str) -> str | None:
    """Where Shopify applies the code; None for a domain that is not a shop's."""
    if not SHOP_DOMAIN.match(shop_domain):
        return None
    return f"https://{shop_domain}/discount/{quote(code, safe='')}"


async def visit(session: AsyncSession, code: str, now: datetime) -> str | None:
    """Record a visit of the link of `code` and return where it leads; None (nothing
    recorded) when the code is not one of ours."""
    normalized = code.strip().upper()
    if not CODE_SHAPE.match(normalized):
        return None
    found = (
        await session.execute(
            select(ReferralCode.id, ReferralCode.shop_id, ReferralCode.code, Shop.domain)
            .join(Shop, Shop.id == ReferralCode.shop_id)
            .where(
                ReferralCode.code == normalized,
                Shop.uninstalled_at.is_(None),
                Shop.redacted_at.is_(None),
            )
        )
    ).first()
    if found is None or found.code is None:
        return None
    target = discount_url(found.domain, found.code)
    if target is None:
        return None
    session.add(ReferralVisit(shop_id=found.shop_id, referral_code_id=found.id, visited_at=now))
    await session.execute(
        update(ReferralCode)
        .where(ReferralCode.shop_id == found.shop_id, ReferralCode.id == found.id)
        .values(visits=ReferralCode.visits + 1, last_visited_at=now)
    )
    return target


@dataclass(frozen=True)
class CustomerReferral:
    code: str
    link: str
    visits: int


async def referral_for_customer(
    session: AsyncSession, *, shop_id: int, customer_id: int, app_url: str
) -> CustomerReferral | None:
    """The customer's own code and share link (for the app proxy's `/proxy/referral`), or
    None while they have none."""
    row = await session.scalar(
        select(ReferralCode).where(
            ReferralCode.shop_id == shop_id,
            ReferralCode.customer_id == customer_id,
            ReferralCode.code.is_not(None),
        )
    )
    if row is None or row.code is None:
        return None
    return CustomerReferral(code=row.code, link=share_url(app_url, row.code), visits=row.visits)
