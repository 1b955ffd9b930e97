"""The review request's settings: two steps, the request N days after the fulfilment (7 by
default) and a reminder M days after it (5 by default, so 12 after the fulfilment), each on or
off. Delays count from when we learnt of the fulfilment; the outbox keeps each email out of
the shop's quiet hours (its timezone). Off until the merchant turns it on."""

from __future__ import annotations

from pydantic import model_validator

from app.scenarios.config import ScenarioSettings
from app.scenarios.modes import Mode
from app.scenarios.steps import JourneyStepSettings, check_steps

DAY = 24 * 3600
REVIEW_STEP_KEYS = ("request", "reminder")


class ReviewRequestSettings(ScenarioSettings):
    # Off until the merchant turns it on: a shop that installs for its carts does not start
    # writing to every buyer unasked.
    mode: Mode = Mode.PAUSED
    steps: tuple[JourneyStepSettings, ...] = (
        JourneyStepSettings(key="request", delay_seconds=7 * DAY),
        JourneyStepSettings(key="reminder", delay_seconds=12 * DAY),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> ReviewRequestSettings:
        check_steps(self.steps, REVIEW_STEP_KEYS)
        return self
