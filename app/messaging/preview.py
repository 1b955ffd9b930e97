"""Previews and test sends for the template editor: a template rendered against one real
customer's data (their name, latest cart, active discount code), or against sample data.
Whatever the customer does not have yet is filled with a sample value, and the preview says
which values are samples, so the merchant knows what is real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.messaging.config import MessagingConfig
from app.messaging.defaults import TemplateSource
from app.messaging.errors import CustomerNotFound, ShopHasNoEmail
from app.messaging.i18n import Locale
from app.messaging.outbox import base_context, shop_context
from app.messaging.sender import sender_of
from app.messaging.templates import Rendered, preview_off_loop, sample_context
from app.models import Checkout, Customer, DiscountCode, Shop
from app.models.discount_codes import DiscountCodeStatus

# Why a value is a sample, by the group of variables it belongs to.
_NO_CUSTOMER = Text(
    en="Sample value: choose a customer to preview with their own data.",
    fr="Valeur d'exemple : choisissez un client pour prévisualiser avec ses propres données.",
)
_NOTES: dict[str, Text] = {
    "cart": Text(
        en="Sample value: this customer has no cart yet.",
        fr="Valeur d'exemple : ce client n'a pas encore de panier.",
    ),
    "code": Text(
        en="Sample value: this customer has no active discount code yet.",
        fr="Valeur d'exemple : ce client n'a pas encore de code de réduction actif.",
    ),
    "loyalty": Text(
        en="Sample value: this customer has no loyalty points or tier yet.",
        fr="Valeur d'exemple : ce client n'a pas encore de points de fidélité ni de statut.",
    ),
    "referral": Text(
        en="Sample value: this customer has no referral link or reward yet.",
        fr="Valeur d'exemple : ce client n'a pas encore de lien de parrainage ni de récompense.",
    ),
    "review": Text(
        en="Sample value: the review link is made for each order when the email is sent.",
        fr="Valeur d'exemple : le lien d'avis est créé pour chaque commande à l'envoi de l'e-mail.",
    ),
    "unsubscribe": Text(
        en="Sample link: each shopper's email carries their own unsubscribe link.",
        fr="Lien d'exemple : chaque e-mail contient le lien de désabonnement propre au client.",
    ),
}
_GROUPS: dict[str, tuple[str, ...]] = {
    "cart": ("items", "cart_total", "checkout_url"),
    "code": ("discount_code", "discount_expires_at"),
    "loyalty": (
        "points_balance",
        "points_earned",
        "points_spendable",
        "orders",
        "tier",
        "tier_multiplier",
        "reward_cost",
        "points_expiring",
        "expires_at",
    ),
    "referral": ("referral_url", "referral_code", "friend_offer", "reward"),
    "review": ("review_url",),
    "unsubscribe": ("unsubscribe_url",),
}
# Known for any preview: the shop's own facts.
_SHOP_VARIABLES = frozenset(
    {
        "shop_name",
        "shop_url",
        "currency",
        "timezone",
        "locale",
        "shop_address",
        "logo_url",
        "brand_color",
    }
)

_TEST_PREFIX: dict[Locale, str] = {"en": "[Test]", "fr": "[Essai]"}


@dataclass(frozen=True)
class SampleValue:
    variable: str
    note: Text


@dataclass(frozen=True)
class Preview:
    rendered: Rendered
    # The variables the template uses that show a sample value, with why.
    samples: list[SampleValue]


def sample_code(prefix: str) -> str:
    """A sample code as the shop's codes look: its prefix, then a random-looking part."""
    return f"{prefix}-SAMPLE42"


def _shop_context(shop: Shop, locale: Locale) -> dict[str, Any]:
    return {**sample_context(locale), **shop_context(shop)}


async def customer_context(
    session: AsyncSession, shop: Shop, customer_id: int, locale: Locale, now: datetime
) -> tuple[dict[str, Any], dict[str, Text]]:
    """This customer's values, and the variables left at a sample value with why."""
    customer = await session.scalar(
        select(Customer).where(Customer.shop_id == shop.id, Customer.id == customer_id)
    )
    if customer is None:
        raise CustomerNotFound(
            Text(
                en=f"Customer {customer_id} does not exist in this shop: "
                "pick a customer from the list.",
                fr=f"Le client {customer_id} n'existe pas dans cette boutique : "
                "choisissez un client dans la liste.",
            )
        )
    context = {**sample_context(locale), **base_context(shop, customer)}
    sampled = {"loyalty", "referral", "review", "unsubscribe"}
    checkout = await session.scalar(
        select(Checkout)
        .where(Checkout.shop_id == shop.id, Checkout.customer_id == customer.id)
        .order_by(Checkout.id.desc())
        .limit(1)
    )
    if checkout is None:
        sampled.add("cart")
    else:
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
    code = await session.scalar(
        select(DiscountCode)
        .where(
            DiscountCode.shop_id == shop.id,
            DiscountCode.customer_id == customer.id,
            DiscountCode.status == DiscountCodeStatus.ACTIVE,
            DiscountCode.redeemed_at.is_(None),
            or_(DiscountCode.ends_at.is_(None), DiscountCode.ends_at > now),
        )
        .order_by(DiscountCode.id.desc())
        .limit(1)
    )
    if code is None:
        sampled.add("code")
    else:
        context.update(
            discount_code=code.code,
            discount_expires_at=code.ends_at.isoformat() if code.ends_at else None,
        )
    notes = {variable: _NOTES[group] for group in sampled for variable in _GROUPS[group]}
    return context, notes


async def preview(
    session: AsyncSession,
    shop: Shop,
    source: TemplateSource,
    locale: Locale,
    *,
    customer_id: int | None,
    code_prefix: str | None = None,
) -> Preview:
    """`code_prefix`: the prefix the scenario makes its codes with in this shop, shown in the
    sample code (a customer's own active code shows as it is)."""
    if customer_id is None:
        context = _shop_context(shop, locale)
        notes = {name: _NO_CUSTOMER for name in context if name not in _SHOP_VARIABLES}
    else:
        context, notes = await customer_context(
            session, shop, customer_id, locale, datetime.now(UTC)
        )
    if code_prefix and "discount_code" in notes:
        context["discount_code"] = sample_code(code_prefix)
    # Validated, rendered and read off the event loop, within the templates' limits.
    rendered, used = await preview_off_loop(source, context, locale)
    samples = [SampleValue(name, notes[name]) for name in sorted(used) if name in notes]
    return Preview(rendered, samples)


def test_email(
    shop: Shop, rendered: Rendered, config: MessagingConfig, locale: Locale
) -> EmailMessage:
    """The preview as an email to the merchant's own address, marked as a test in the
    template's language."""
    if not shop.email:
        raise ShopHasNoEmail(
            Text(
                en="The shop has no email address to send the test to: "
                "set one in Shopify's store settings, then try again.",
                fr="La boutique n'a pas d'adresse e-mail à laquelle envoyer le test : "
                "renseignez-en une dans les paramètres de la boutique Shopify, puis réessayez.",
            )
        )
    email = EmailMessage()
    email["Subject"] = f"{_TEST_PREFIX[locale]} {rendered.subject}"
    sender = sender_of(shop, config.email_from, config.sender_domains)
    email["From"] = sender.from_header
    if sender.reply_to:
        email["Reply-To"] = sender.reply_to
    email["To"] = shop.email
    email["Message-ID"] = make_msgid(idstring="boomerang-test", domain=config.message_id_domain)
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    return email
