"""The abandoned cart's settings: its mode, code prefix, transactional choice, attribution
window and its three reminders (GET/PUT /api/scenarios/abandoned_cart)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from app.i18n import Text
from app.scenarios.config import (
    MAX_ATTRIBUTION_WINDOW_DAYS,
    DiscountSettings,
    ScenarioSettings,
    SettingsProblem,
    StepSettings,
)
from app.scenarios.modes import Mode
from app.scenarios.steps import check_delays_rise

# The abandoned-cart sequence: its steps, in order (the key names each in patches).
CART_STEP_KEYS = ("first_reminder", "second_reminder", "last_reminder")


class AbandonedCartSettings(ScenarioSettings):
    mode: Mode = Mode.LIVE
    # Codes read PREFIX-XXXXXXXXXX; the merchant picks the prefix.
    code_prefix: str = Field(
        default="COMEBACK", min_length=1, max_length=12, pattern=r"^[A-Z0-9]+$"
    )
    # The merchant's legal choice: cart reminders may count as transactional (sent without
    # marketing consent). Off by default.
    transactional: bool = False
    attribution_window_days: int = Field(default=7, ge=1, le=MAX_ATTRIBUTION_WINDOW_DAYS)
    steps: tuple[StepSettings, ...] = (
        StepSettings(key="first_reminder", delay_seconds=3600),
        StepSettings(
            key="second_reminder",
            delay_seconds=24 * 3600,
            discount=DiscountSettings(value=Decimal(10)),
        ),
        StepSettings(
            key="last_reminder",
            delay_seconds=72 * 3600,
            enabled=False,
            discount=DiscountSettings(value=Decimal(15)),
        ),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> AbandonedCartSettings:
        if tuple(step.key for step in self.steps) != CART_STEP_KEYS:
            keys = ", ".join(CART_STEP_KEYS)
            raise SettingsProblem(
                Text(
                    en=f"the sequence's steps are {keys}, in that order; a step's key "
                    "cannot be changed",
                    fr=f"les étapes de la séquence sont {keys}, dans cet ordre ; la clé "
                    "d'une étape ne peut pas être modifiée",
                ),
                field="steps",
                code="steps_fixed",
            )
        check_delays_rise(self.steps)
        return self
