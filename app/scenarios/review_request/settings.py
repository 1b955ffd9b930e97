"""The review request's settings: two steps, the request N days after the fulfilment (7 by
default) and a reminder M days after it (5 by default, so 12 after the fulfilment), each on or
off. Delays count from when we learnt of the fulfilment; the outbox keeps each email out of
the shop's quiet hours (its timezone). Off until the merchant turns it on.

Timing: `after_fulfilment` (the default) counts the delays from the fulfilment. A merchant
whose carriers report deliveries picks `after_delivery`: the delays count from when Shopify
reports one of the order's shipments delivered (fulfillment_events/create or
fulfillments/update). When no delivered status has come `delivery_wait_seconds` after the
fulfilment (10 days by default), the order is taken as delivered then: the delays count from
the fulfilment plus that wait. A delivered status that comes later, before the request has
gone, re-times it from the delivery."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from app.scenarios.config import ScenarioSettings
from app.scenarios.modes import Mode
from app.scenarios.steps import JourneyStepSettings, check_steps

DAY = 24 * 3600
REVIEW_STEP_KEYS = ("request", "reminder")
Timing = Literal["after_fulfilment", "after_delivery"]
AFTER_FULFILMENT: Timing = "after_fulfilment"
AFTER_DELIVERY: Timing = "after_delivery"
# The longest a merchant may have the request wait for a delivered status.
MAX_DELIVERY_WAIT_SECONDS = 60 * DAY


class ReviewRequestSettings(ScenarioSettings):
    # Off until the merchant turns it on: a shop that installs for its carts does not start
    # writing to every buyer unasked.
    mode: Mode = Mode.PAUSED
    timing: Timing = AFTER_FULFILMENT
    # With after_delivery: how long after the fulfilment a missing delivered status is given
    # up on (the order is then taken as delivered at that moment).
    delivery_wait_seconds: int = Field(default=10 * DAY, ge=1, le=MAX_DELIVERY_WAIT_SECONDS)
    steps: tuple[JourneyStepSettings, ...] = (
        JourneyStepSettings(key="request", delay_seconds=7 * DAY),
        JourneyStepSettings(key="reminder", delay_seconds=12 * DAY),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> ReviewRequestSettings:
        check_steps(self.steps, REVIEW_STEP_KEYS)
        return self
