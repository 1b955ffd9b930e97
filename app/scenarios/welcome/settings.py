"""The welcome series' settings: three steps, each on or off, with its delay from the sign-up
and its discount. Step 1 goes at once (the store's welcome, a first-order code only if the
merchant turns one on); step 2 after 2 days (best-sellers); step 3 after 5 days (an offer,
with a code by default). Validated and merged like the cart's (app/scenarios/config.py)."""

from __future__ import annotations

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

DAY = 24 * 3600
WELCOME_STEP_KEYS = ("welcome", "best_sellers", "offer")


class WelcomeSettings(ScenarioSettings):
    # Off until the merchant turns it on: a shop that installs for its carts does not start
    # writing to every new subscriber unasked.
    mode: Mode = Mode.PAUSED
    # Codes read PREFIX-XXXXXXXXXX.
    code_prefix: str = Field(default="WELCOME", min_length=1, max_length=12, pattern=r"^[A-Z0-9]+$")
    attribution_window_days: int = Field(default=7, ge=1, le=MAX_ATTRIBUTION_WINDOW_DAYS)
    # How many of the shop's best-selling products step 2 shows.
    best_sellers_count: int = Field(default=4, ge=1, le=12)
    steps: tuple[JourneyStepSettings, ...] = (
        JourneyStepSettings(key="welcome", delay_seconds=0),
        JourneyStepSettings(key="best_sellers", delay_seconds=2 * DAY),
        JourneyStepSettings(
            key="offer",
            delay_seconds=5 * DAY,
            discount=DiscountSettings(value=Decimal(10), valid_hours=7 * 24),
        ),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> WelcomeSettings:
        check_steps(self.steps, WELCOME_STEP_KEYS)
        return self

    @model_validator(mode="after")
    def _marketing_only(self) -> WelcomeSettings:
        # A welcome is marketing by its nature: it never goes without consent.
        refuse_transactional(self.transactional, en="a welcome series", fr="une série de bienvenue")
        return self
