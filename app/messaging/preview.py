"""Previews and test sends for the template editor: a template rendered against one real
customer's data (their name, locale and latest cart), or against sample data."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.config import MessagingConfig
from app.messaging.defaults import TemplateSource
from app.messaging.errors import MessageNotFound, ShopHasNoEmail
from app.messaging.i18n import Locale
from app.messaging.templates import Rendered, render, sample_context, validate
from app.models import Checkout, Customer, Shop


async def customer_context(
    session: AsyncSession, shop: Shop, customer_id: int, locale: Locale
) -> dict[str, Any]:
    customer = await session.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.id == customer_id)
    )
    if customer is None:
        raise MessageNotFound(f"customer {customer_id} does not exist in this shop")
    context = {
        **sample_context(locale),
        "first_name": customer.first_name or "",
        "last_name": customer.last_name or "",
        "shop_name": shop.name or shop.domain,
        "shop_url": f"https://{shop.domain}",
        "currency": shop.currency,
    }
    checkout = await session.scalar(
        select(Checkout)
        .where(Checkout.shop_id == shop.id, Checkout.customer_id == customer.id)
        .order_by(Checkout.id.desc())
        .limit(1)
    )
    if checkout is not None:
        context.update(
            items=[
                {
                    "title": item.get("title", ""),
                    "variant_title": item.get("variant_title"),
                    "quantity": item.get("quantity", 1),
                    "price": str(item.get("price", "0")),
                    "image_url": item.get("image_url"),
                }
                for item in checkout.line_items
            ],
            cart_total=str(checkout.total_price or 0),
            currency=checkout.presentment_currency or checkout.currency or shop.currency,
            checkout_url=checkout.abandoned_checkout_url or context["checkout_url"],
        )
    return context


async def preview(
    session: AsyncSession,
    shop: Shop,
    source: TemplateSource,
    locale: Locale,
    *,
    customer_id: int | None,
    ui_locale: Locale,
) -> Rendered:
    validate(source, locale, ui_locale=ui_locale)
    if customer_id is None:
        return render(
            source, {**sample_context(locale), "shop_name": shop.name or shop.domain}, locale
        )
    return render(source, await customer_context(session, shop, customer_id, locale), locale)


def test_email(shop: Shop, rendered: Rendered, config: MessagingConfig) -> EmailMessage:
    """The preview as an email to the merchant's own address, marked as a test."""
    if not shop.email:
        raise ShopHasNoEmail(
            "the shop has no email address to send the test to: set it in Shopify's settings"
        )
    email = EmailMessage()
    email["Subject"] = f"[Test] {rendered.subject}"
    email["From"] = config.email_from
    email["To"] = shop.email
    email["Message-ID"] = make_msgid(idstring="boomerang-test", domain=config.message_id_domain)
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email
