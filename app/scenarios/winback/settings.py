"""Win-back's settings: who counts as lapsed (N days, or the median multiplier for customers
with enough orders, never sooner than a floor), how long before a customer may be won back
again, and its two steps: a single-use code from a pre-created pool at once, a reminder 7 days
later."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import Field, model_validator

from app.scenarios.config import (
    MAX_ATTRIBUTION_WINDOW_DAYS,
    DiscountSettings,
    ScenarioSettings,
    refuse_transactional,
)
from app.scenarios.modes import Mode
from app.scenarios.steps import JourneyStepSettings, check_steps
from app.scenarios.winback.rule import LapseRule

DAY = 24 * 3600
WINBACK_STEP_KEYS = ("offer", "reminder")


class WinbackSettings(ScenarioSettings):
    # Off until the merchant turns it on, as welcome: a shop that has the app for its carts
    # (installed before win-back existed, so without a stored row) does not start emailing
    # every lapsed customer a code unasked.
    mode: Mode = Mode.PAUSED
    code_prefix: str = Field(default="MISSYOU", min_length=1, max_length=12, pattern=r"^[A-Z0-9]+$")
    attribution_window_days: int = Field(default=14, ge=1, le=MAX_ATTRIBUTION_WINDOW_DAYS)
    lapsed_after_days: int = Field(default=90, ge=7, le=730)
    median_multiplier: Decimal = Field(default=Decimal(2), ge=1, le=10)
    min_orders_for_rhythm: int = Field(default=3, ge=2, le=100)
    # Never lapsed sooner than this after the last order, whatever the rhythm; a floor longer
    # than lapsed_after_days counts as lapsed_after_days (no refusal: settings saved before
    # this field, with lapsed_after_days under 14, stay valid). 14 leaves every rhythm of a
    # week or more (2 x 7 days) as the rule has it.
    min_lapse_days: int = Field(default=14, ge=1, le=730)
    cooldown_days: int = Field(default=180, ge=1, le=730)
    steps: tuple[JourneyStepSettings, ...] = (
        JourneyStepSettings(
            key="offer",
            delay_seconds=0,
            # Pooled (use_pool): each customer gets one single-use code of the pool.
            discount=DiscountSettings(value=Decimal(15), valid_hours=14 * 24, use_pool=True),
        ),
        JourneyStepSettings(key="reminder", delay_seconds=7 * DAY),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> WinbackSettings:
        check_steps(self.steps, WINBACK_STEP_KEYS)
        return self

    @model_validator(mode="after")
    def _marketing_only(self) -> WinbackSettings:
        # A code to come back is marketing: consent, the frequency cap and priority apply.
        refuse_transactional(self.transactional, en="a win-back", fr="une reconquête")
        return self

    @property
    def lapse_rule(self) -> LapseRule:
        return LapseRule(
            lapsed_after=timedelta(days=self.lapsed_after_days),
            median_multiplier=float(self.median_multiplier),
            min_orders_for_rhythm=self.min_orders_for_rhythm,
            cooldown=timedelta(days=self.cooldown_days),
            lapse_floor=timedelta(days=min(self.min_lapse_days, self.lapsed_after_days)),
        )
