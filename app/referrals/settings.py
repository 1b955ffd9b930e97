"""The referral program's settings, stored like a scenario's (`scenario_settings`, key
`referral`: mode and transactional as columns, the rest in options) and validated with
per-field errors in English and French (app/scenarios/config.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.scenarios import settings_store
from app.scenarios.config import ScenarioSettings, StrictSettings, resolve_stored
from app.scenarios.modes import Mode

KEY = "referral"


class RewardCodeSettings(StrictSettings):
    """The single-use code an advocate gets for a qualified referral."""

    kind: Literal["percentage", "fixed_amount"] = "fixed_amount"
    # Percent (1–100) for percentage, an amount in the shop's currency for fixed_amount.
    value: Decimal = Field(default=Decimal(10), gt=0)
    valid_days: int = Field(default=90, ge=1, le=365)


class ReferralSettings(ScenarioSettings):
    # Off until the merchant turns it on. Paused: no new codes, no rewards (referrals are
    # still recorded and wait); the friend codes already out stay valid at Shopify.
    mode: Mode = Mode.PAUSED
    # When a customer gets their personal code: after their first paid order, or at sign-up.
    issue_on: Literal["first_paid_order", "sign_up"] = "first_paid_order"
    code_prefix: str = Field(default="REF", min_length=1, max_length=12, pattern=r"^[A-Z0-9]+$")
    # The friend's discount: percent off their first order, once per customer.
    friend_percent: Decimal = Field(default=Decimal(10), gt=0, le=100)
    friend_minimum_subtotal: Decimal | None = Field(default=None, ge=0)
    # None: the friend code does not expire.
    friend_code_valid_days: int | None = Field(default=None, ge=1, le=3650)
    # The friend's order must stay paid, not refunded nor cancelled, this long.
    hold_days: int = Field(default=14, ge=0, le=365)
    reward_kind: Literal["points", "code"] = "points"
    reward_points: int = Field(default=500, ge=1, le=1_000_000)
    reward_code: RewardCodeSettings = RewardCodeSettings()
    # Rewards one advocate may get in a calendar month (UTC).
    monthly_reward_cap: int = Field(default=10, ge=1, le=1000)
    # Fraud: more referrals than this from one advocate in 24 hours are flagged …
    max_referrals_per_day: int = Field(default=5, ge=1, le=1000)
    # … and more referred orders than this from one IP address.
    max_orders_per_ip: int = Field(default=3, ge=1, le=1000)


async def load_settings(session: AsyncSession, shop_id: int) -> ReferralSettings:
    stored = await settings_store.stored_options(session, shop_id, KEY)
    return settings_from_stored(stored)


def settings_from_stored(stored: dict[str, Any]) -> ReferralSettings:
    """The effective settings from the shop's stored row (`options` with its `mode` and
    `transactional`; {} when it has none), as `load_settings` makes them."""
    settings = resolve_stored(ReferralSettings, stored)
    if not isinstance(settings, ReferralSettings):  # pragma: no cover - resolve's contract
        raise TypeError("referral settings resolved to another model")
    return settings


async def effective(session: AsyncSession, shop_id: int) -> dict[str, Any]:
    return await settings_store.effective_settings(session, shop_id, KEY, ReferralSettings)
