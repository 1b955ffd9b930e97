"""The storefront's entry: Shopify's app proxy (`[app_proxy]` in shopify.app.toml) forwards
`https://{shop}/apps/boomerang/<program>/…` to `/proxy/<program>/…` here, signed. Every route
under /proxy takes its shop and customer from `StorefrontVisitor`, the verified query alone
(`logged_in_customer_id`; never a body or a cookie: Shopify strips cookies). Each program owns
its own path: `/proxy/loyalty` (app/web/loyalty_proxy.py), `/proxy/referral` next.

Errors are answered as JSON in the shopper's language: the storefront widget adds `locale`
to its query (Liquid's `request.locale.iso_code`; signed with the rest), else the browser's
Accept-Language, which Shopify forwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from app.errors import NotFound
from app.i18n import Text
from app.models import Shop
from app.platform.resources import Resources
from app.shopify.verification import CustomerAccountVisitor, ProxyVisitor, verify_app_proxy
from app.web.deps import ResourcesDep

PREFIX = "/proxy"


@dataclass(frozen=True)
class Visitor:
    """A verified storefront visitor: the shop (installed) and, when logged in, Shopify's id
    for the customer."""

    shop_id: int
    shop_domain: str
    currency: str
    shopify_customer_id: int | None


class ShopNotServed(NotFound):
    """The proxy request names a shop where Boomerang is not installed."""


async def storefront_visitor(request: Request, resources: ResourcesDep) -> Visitor:
    verified = verify_app_proxy(resources.settings, str(request.url))
    return await served_visitor(resources, verified)


async def served_visitor(
    resources: Resources, verified: ProxyVisitor | CustomerAccountVisitor
) -> Visitor:
    """The visitor of a verified storefront request (app proxy or customer account), at a
    shop where Boomerang is installed; ShopNotServed otherwise."""
    async with resources.sessions() as session:
        shop = (
            await session.execute(
                select(Shop.id, Shop.currency).where(
                    Shop.domain == verified.shop,
                    Shop.uninstalled_at.is_(None),
                    Shop.redacted_at.is_(None),
                )
            )
        ).one_or_none()
    if shop is None:
        raise ShopNotServed(
            Text(
                en="Boomerang is not installed on this shop.",
                fr="Boomerang n'est pas installé sur cette boutique.",
            )
        )
    return Visitor(
        shop_id=shop.id,
        shop_domain=verified.shop,
        currency=shop.currency,
        shopify_customer_id=verified.shopify_customer_id,
    )


StorefrontVisitor = Annotated[Visitor, Depends(storefront_visitor)]
