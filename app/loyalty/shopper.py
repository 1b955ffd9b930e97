"""The program as a shopper sees it on the storefront (through the app proxy): its public
description (ways to earn, tiers, rewards) for every visitor, and a logged-in customer's own
position (balance, pending points, tier, progress to the next tier, the rewards they can
redeem now). Plain data with its wording in English and French; the web edge picks one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Locale, Text
from app.loyalty import tiers
from app.loyalty.ledger import pending_sum
from app.loyalty.settings import LoyaltySettings, Reward, Tier
from app.messaging.money import format_money
from app.models import Customer, LoyaltyAccount


def _amount(value: Decimal, currency: str) -> Text:
    return Text(en=format_money(value, currency, "en"), fr=format_money(value, currency, "fr"))


def reward_label(reward: Reward, currency: str) -> Text:
    """What the reward gives, in the shopper's words."""
    minimum = (
        Text(
            en=f" on orders of {_amount(reward.minimum_subtotal, currency).en} or more",
            fr=f" dès {_amount(reward.minimum_subtotal, currency).fr} d'achat",
        )
        if reward.minimum_subtotal is not None
        else Text(en="", fr="")
    )
    if reward.kind == "percentage":
        base = Text(
            en=f"{reward.value.normalize():f}% off",
            fr=f"{reward.value.normalize():f} % de réduction",
        )
    elif reward.kind == "free_shipping":
        base = Text(en="Free shipping", fr="Livraison offerte")
    elif reward.kind == "store_credit":
        base = Text(
            en=f"{_amount(reward.value, currency).en} of store credit",
            fr=f"{_amount(reward.value, currency).fr} de crédit boutique",
        )
    else:
        base = Text(
            en=f"{_amount(reward.value, currency).en} off",
            fr=f"{_amount(reward.value, currency).fr} de réduction",
        )
    return Text(en=base.en + minimum.en, fr=base.fr + minimum.fr)


def tier_name(tier: Tier, locale: Locale) -> str:
    return tier.name_fr if locale == "fr" else tier.name_en


@dataclass(frozen=True)
class WayToEarn:
    key: str
    points: Decimal
    label: Text


def ways_to_earn(settings: LoyaltySettings, currency: str) -> list[WayToEarn]:
    ways: list[WayToEarn] = []
    if settings.per_currency.enabled:
        points = settings.per_currency.points
        ways.append(
            WayToEarn(
                "per_currency",
                points,
                Text(
                    en=f"{points.normalize():f} points for each 1 {currency} spent",
                    fr=f"{points.normalize():f} points par 1 {currency} dépensé",
                ),
            )
        )
    if settings.signup.enabled:
        ways.append(
            WayToEarn(
                "signup",
                Decimal(settings.signup.points),
                Text(
                    en=f"{settings.signup.points} points when you create an account",
                    fr=f"{settings.signup.points} points à la création de votre compte",
                ),
            )
        )
    if settings.birthday.enabled:
        ways.append(
            WayToEarn(
                "birthday",
                Decimal(settings.birthday.points),
                Text(
                    en=f"{settings.birthday.points} points on your birthday, once a year",
                    fr=f"{settings.birthday.points} points pour votre anniversaire, une fois par "
                    "an",
                ),
            )
        )
    return ways


def pending_note(settings: LoyaltySettings) -> Text | None:
    if settings.pending_days <= 0:
        return None
    return Text(
        en=f"Points from an order become spendable {settings.pending_days} days after it.",
        fr=f"Les points d'une commande deviennent utilisables {settings.pending_days} jours "
        "après celle-ci.",
    )


@dataclass(frozen=True)
class Progress:
    """Where the customer stands against the tiers: `measure` is what the tiers count (points
    earned or amount spent within the window); `remaining` what the next tier needs more."""

    tier: Tier | None
    next_tier: Tier | None
    measure: Decimal
    remaining: Decimal | None


@dataclass(frozen=True)
class Position:
    customer_id: int
    balance: int
    pending: int
    progress: Progress
    first_name: str | None
    birth_date: date | None = None

    @property
    def spendable(self) -> int:
        return self.balance - self.pending


async def customer_of(session: AsyncSession, shop_id: int, shopify_customer_id: int) -> int | None:
    """Boomerang's id for the shop's customer with this Shopify id (None: not known yet, or
    erased)."""
    row = (
        await session.execute(
            select(Customer.id, Customer.redacted_at).where(
                Customer.shop_id == shop_id, Customer.shopify_id == shopify_customer_id
            )
        )
    ).one_or_none()
    if row is None or row.redacted_at is not None:
        return None
    return int(row.id)


async def position(
    session: AsyncSession,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    customer_id: int,
    now: datetime,
) -> Position:
    """The customer's position at `now`, read from the ledger (points that matured since the
    last movement count as spendable)."""
    account = (
        await session.execute(
            select(
                LoyaltyAccount.balance,
                LoyaltyAccount.birth_date,
                pending_sum(shop_id, customer_id, now).label("pending"),
            ).where(LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer_id)
        )
    ).one_or_none()
    first_name = await session.scalar(select(Customer.first_name).where(Customer.id == customer_id))
    balance, pending = (int(account.balance), int(account.pending)) if account else (0, 0)
    measure = await tiers.measure_of(session, settings, shop_id, customer_id, now)
    current = tiers.tier_for(settings, measure)
    above = [tier for tier in settings.tiers if tier.threshold > measure]
    following = above[0] if above else None
    return Position(
        customer_id=customer_id,
        balance=balance,
        pending=pending,
        progress=Progress(
            tier=current,
            next_tier=following,
            measure=measure,
            remaining=following.threshold - measure if following else None,
        ),
        first_name=first_name,
        birth_date=account.birth_date if account else None,
    )


def offered(settings: LoyaltySettings) -> list[Reward]:
    """The catalogue's rewards shoppers are offered: store credit ones only while the
    merchant has store credit rewards on."""
    return [
        reward
        for reward in settings.rewards
        if reward.kind != "store_credit" or settings.store_credit_enabled
    ]


def redeemable(settings: LoyaltySettings, spendable: int) -> list[Reward]:
    """The offered rewards the customer can redeem now."""
    if not settings.enabled:
        return []
    return [reward for reward in offered(settings) if reward.cost <= spendable]
