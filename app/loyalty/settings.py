"""A shop's loyalty program settings: a strict model with defaults (validated the scenarios'
way, every problem said in English and French), and their storage (one JSONB row per shop)."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty.store_credit import SCOPES
from app.models import LoyaltyProgram
from app.scenarios.config import (
    KEY_PATTERN,
    SettingsProblem,
    StrictSettings,
    apply_patch,
    resolve_stored,
)


class PerCurrencyRule(StrictSettings):
    """Points for each 1 of the shop's currency in a paid order's eligible subtotal."""

    enabled: bool = True
    points: Decimal = Field(default=Decimal(1), ge=0, le=1000)


class SignupRule(StrictSettings):
    """A one-time bonus when a customer account is created."""

    enabled: bool = False
    points: int = Field(default=100, ge=1, le=1_000_000)


class BirthdayRule(StrictSettings):
    """Points once a year on the customer's birthday, from the date they gave (the customer
    metafield `facts.birth_date`, or the one they set through the storefront)."""

    enabled: bool = False
    points: int = Field(default=100, ge=1, le=1_000_000)


class ExpiryRule(StrictSettings):
    """Points expire after `inactive_months` without any earning or spending (off by
    default); a warning email goes `warning_days` before."""

    enabled: bool = False
    inactive_months: int = Field(default=12, ge=1, le=120)
    warning_days: int = Field(default=14, ge=1, le=90)


class NoticesRule(StrictSettings):
    """Which of the program's emails go (app/loyalty/content.py), and the digest's pace: at
    most one points-earned email per `digest_hours`, adding up every order in between."""

    points_digest: bool = True
    digest_hours: int = Field(default=24, ge=1, le=720)
    tier_reached: bool = True
    reward_reachable: bool = True
    expiry_warning: bool = True


class TierPerk(StrictSettings):
    """The tier's perk: a single-use code for the customer when they reach it (once per
    customer and tier: leaving and reaching it again gives no second code)."""

    kind: Literal["fixed_amount", "percentage", "free_shipping"]
    # Amount in the shop's currency, or percent; unused for free shipping.
    value: Decimal = Field(default=Decimal(0), ge=0)
    minimum_subtotal: Decimal | None = Field(default=None, gt=0)
    valid_days: int = Field(default=30, ge=1, le=3650)


class Tier(StrictSettings):
    key: str = Field(min_length=1, max_length=64, pattern=KEY_PATTERN)
    name_en: str = Field(min_length=1, max_length=64)
    name_fr: str = Field(min_length=1, max_length=64)
    # Points earned, or amount spent in the shop's currency, within the window.
    threshold: Decimal = Field(ge=0)
    multiplier: Decimal = Field(default=Decimal(1), ge=1, le=10)
    entry_reward: TierPerk | None = None


RewardKind = Literal["fixed_amount", "percentage", "free_shipping", "store_credit"]


class Reward(StrictSettings):
    """One entry of the rewards catalogue: `cost` points buy a single-use code for the
    customer (an amount or a percentage off, or free shipping), or store credit."""

    key: str = Field(min_length=1, max_length=64, pattern=KEY_PATTERN)
    cost: int = Field(ge=1, le=10_000_000)
    kind: RewardKind
    # Amount in the shop's currency, or percent; unused for free shipping.
    value: Decimal = Field(default=Decimal(0), ge=0)
    # The code's order minimum, in the shop's currency (None: any order).
    minimum_subtotal: Decimal | None = Field(default=None, gt=0)
    # How long the code lasts once redeemed.
    valid_days: int = Field(default=90, ge=1, le=3650)


class LoyaltySettings(StrictSettings):
    enabled: bool = False
    per_currency: PerCurrencyRule = PerCurrencyRule()
    signup: SignupRule = SignupRule()
    birthday: BirthdayRule = BirthdayRule()
    expiry: ExpiryRule = ExpiryRule()
    notices: NoticesRule = NoticesRule()
    # Days before earned points become spendable (e.g. the return window); 0: at once.
    pending_days: int = Field(default=0, ge=0, le=365)
    tier_basis: Literal["points_earned", "amount_spent"] = "points_earned"
    tier_window_months: int = Field(default=12, ge=1, le=60)
    tiers: tuple[Tier, ...] = ()
    rewards: tuple[Reward, ...] = ()
    # Store credit rewards (storeCreditAccountCredit) need the shop to grant the optional
    # scopes app/loyalty/store_credit.py names; off until the merchant turns them on.
    store_credit_enabled: bool = False

    def reward(self, key: str) -> Reward | None:
        return next((reward for reward in self.rewards if reward.key == key), None)

    @model_validator(mode="after")
    def _tiers_in_order(self) -> LoyaltySettings:
        keys = [tier.key for tier in self.tiers]
        if len(set(keys)) != len(keys):
            raise SettingsProblem(
                Text(
                    en=f"each tier needs a key of its own (now {', '.join(keys)})",
                    fr=f"chaque palier a besoin d'une clé qui lui est propre "
                    f"(actuellement {', '.join(keys)})",
                ),
                field="tiers",
            )
        thresholds = [tier.threshold for tier in self.tiers]
        if any(b <= a for a, b in pairwise(thresholds)):
            shown = ", ".join(str(t) for t in thresholds)
            raise SettingsProblem(
                Text(
                    en=f"tiers go from the lowest threshold to the highest, each above the "
                    f"one before (now {shown})",
                    fr=f"les paliers vont du seuil le plus bas au plus haut, chacun au-dessus "
                    f"du précédent (actuellement {shown})",
                ),
                field="tiers",
            )
        for index, tier in enumerate(self.tiers):
            perk = tier.entry_reward
            if perk is None:
                continue
            if perk.kind == "percentage" and not Decimal(1) <= perk.value <= Decimal(100):
                raise SettingsProblem(
                    Text(
                        en="A percentage off is between 1 and 100, for example 10.",
                        fr="Une réduction en pourcentage est comprise entre 1 et 100, par "
                        "exemple 10.",
                    ),
                    field=f"tiers.{index}.entry_reward.value",
                )
            if perk.kind == "fixed_amount" and perk.value <= 0:
                raise SettingsProblem(
                    Text(
                        en="This perk's amount must be more than 0, for example 5.00.",
                        fr="Le montant de cet avantage doit être supérieur à 0, par exemple 5.00.",
                    ),
                    field=f"tiers.{index}.entry_reward.value",
                )
        reward_keys = [reward.key for reward in self.rewards]
        if len(set(reward_keys)) != len(reward_keys):
            raise SettingsProblem(
                Text(
                    en=f"each reward needs a key of its own (now {', '.join(reward_keys)})",
                    fr=f"chaque récompense a besoin d'une clé qui lui est propre "
                    f"(actuellement {', '.join(reward_keys)})",
                ),
                field="rewards",
            )
        for index, reward in enumerate(self.rewards):
            if reward.kind == "percentage" and not Decimal(1) <= reward.value <= Decimal(100):
                raise SettingsProblem(
                    Text(
                        en="A percentage off is between 1 and 100, for example 10.",
                        fr="Une réduction en pourcentage est comprise entre 1 et 100, par "
                        "exemple 10.",
                    ),
                    field=f"rewards.{index}.value",
                )
            if reward.kind == "store_credit" and not self.store_credit_enabled:
                raise SettingsProblem(
                    Text(
                        en="Turn on store credit rewards first: Shopify then asks your shop "
                        f"to grant {', '.join(SCOPES)}.",
                        fr="Activez d'abord les récompenses en crédit boutique : Shopify "
                        f"demande alors à votre boutique d'accorder {', '.join(SCOPES)}.",
                    ),
                    field=f"rewards.{index}.kind",
                )
            if reward.kind in ("fixed_amount", "store_credit") and reward.value <= 0:
                raise SettingsProblem(
                    Text(
                        en="This reward's amount must be more than 0, for example 5.00.",
                        fr="Le montant de cette récompense doit être supérieur à 0, par "
                        "exemple 5.00.",
                    ),
                    field=f"rewards.{index}.value",
                )
        return self


def _stored(row: LoyaltyProgram | None) -> dict[str, Any]:
    return dict(row.settings) if row is not None else {}


async def load_settings(session: AsyncSession, shop_id: int) -> LoyaltySettings:
    """The shop's effective settings: the defaults overlaid with what it stored."""
    row = await session.scalar(select(LoyaltyProgram).where(LoyaltyProgram.shop_id == shop_id))
    return _validated(_stored(row))


def settings_from_stored(stored: dict[str, Any]) -> LoyaltySettings:
    """The effective settings from what a shop stored (its `settings` column, read by the
    caller; {} when it has none), as `load_settings` makes them."""
    return _validated(dict(stored))


async def update_settings(
    session: AsyncSession, shop_id: int, patch: dict[str, Any]
) -> LoyaltySettings:
    """Merge a partial change (lists such as tiers are replaced whole) and store the result;
    raises app.scenarios.config.InvalidSettings, with every problem in en and fr."""
    row = await session.scalar(
        select(LoyaltyProgram).where(LoyaltyProgram.shop_id == shop_id).with_for_update()
    )
    merged = apply_patch(LoyaltySettings, _stored(row), patch)
    base = insert(LoyaltyProgram).values(shop_id=shop_id, settings=merged)
    await session.execute(
        base.on_conflict_do_update(index_elements=["shop_id"], set_={"settings": merged})
    )
    return _validated(merged)


def _validated(data: dict[str, Any]) -> LoyaltySettings:
    found = resolve_stored(LoyaltySettings, data)
    if not isinstance(found, LoyaltySettings):  # resolve returns the model it was given
        raise TypeError(type(found))
    return found
