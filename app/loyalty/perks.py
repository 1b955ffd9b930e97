"""Tier perks: a customer who reaches a tier with an `entry_reward` gets a single-use code,
created through the codes service with a key of its own per customer and tier, so a replayed
job, a retry or reaching the tier again never makes a second one. The customer finds it on
their loyalty page (the app proxy) and the merchant on the customer's admin page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.i18n import Text
from app.loyalty.settings import TierPerk, load_settings
from app.messaging.i18n import Locale, resolve_locale
from app.models import Customer, Shop
from app.models.discount_codes import DiscountCode, DiscountCodeStatus
from app.shopify.admin.types import ShopRef

CODE_PREFIX = "VIP"
_KEY_PREFIX = "loyalty-tier-perk"


def perk_key(customer_id: int, tier_key: str) -> str:
    return f"{_KEY_PREFIX}:{customer_id}:{tier_key}"


def perk_title(tier_key: str, locale: Locale) -> str:
    """The perk's discount title in Shopify's admin, in the shop's language (the code is found
    again by its perk key, whatever its title)."""
    return Text(
        en=f"Loyalty tier perk {tier_key}", fr=f"Avantage du palier de fidélité {tier_key}"
    ).in_locale(locale)


def _offer(tier_key: str, perk: TierPerk, locale: Locale) -> Offer:
    value_type = {
        "fixed_amount": ValueType.FIXED_AMOUNT,
        "percentage": ValueType.PERCENTAGE,
        "free_shipping": ValueType.FREE_SHIPPING,
    }[perk.kind]
    value = (
        perk.value / Decimal(100)
        if perk.kind == "percentage"
        else perk.value
        if perk.kind == "fixed_amount"
        else None
    )
    return Offer(
        title=perk_title(tier_key, locale),
        value_type=value_type,
        value=value,
        minimum_subtotal=perk.minimum_subtotal,
        valid_for=timedelta(days=perk.valid_days),
    )


async def issue_perk(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    *,
    customer_id: int,
    tier_key: str,
) -> str | None:
    """The customer's code for the tier's perk (created now if it is not yet); None when the
    tier has no perk any more or the customer is gone. Raises what `issue_code` raises."""
    async with sessions() as session:
        settings = await load_settings(session, shop.id)
        customer = await session.scalar(
            select(Customer).where(Customer.shop_id == shop.id, Customer.id == customer_id)
        )
        shop_locale = await session.scalar(select(Shop.locale).where(Shop.id == shop.id))
    tier = next((t for t in settings.tiers if t.key == tier_key), None)
    if tier is None or tier.entry_reward is None or customer is None:
        return None
    if customer.redacted_at is not None:
        return None
    issued = await issue_code(
        sessions,
        gateway,
        shop,
        purpose=CodePurpose.LOYALTY_REWARD,
        idempotency_key=perk_key(customer_id, tier_key),
        offer=_offer(tier_key, tier.entry_reward, resolve_locale(None, shop_locale)),
        recipient=Recipient(
            customer_id=customer_id,
            customer_gid=f"gid://shopify/Customer/{customer.shopify_id}",
            email=customer.email,
        ),
        prefix=CODE_PREFIX,
    )
    return issued.code


@dataclass(frozen=True)
class PerkCode:
    tier_key: str
    code: str


async def perks_of(session: AsyncSession, shop_id: int, customer_id: int) -> list[PerkCode]:
    """The tier perk codes the customer holds (made at Shopify), oldest first."""
    prefix = f"{_KEY_PREFIX}:{customer_id}:"
    rows = await session.execute(
        select(DiscountCode.idempotency_key, DiscountCode.code)
        .where(
            DiscountCode.shop_id == shop_id,
            DiscountCode.idempotency_key.startswith(prefix, autoescape=True),
            DiscountCode.status == DiscountCodeStatus.ACTIVE,
        )
        .order_by(DiscountCode.id)
    )
    return [PerkCode(key.removeprefix(prefix), code) for key, code in rows.all()]
