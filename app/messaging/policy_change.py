"""Changing the shop's delivery rules (app/messaging/controls.py's SendingPolicy): only the
fields sent change, every field is checked in one round, and each refusal names its field,
in English and French, with a code a form words in the merchant's terms (as scenario
settings do, app/scenarios/config.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

from pydantic import Field

from app.messaging.controls import SendingPolicy
from app.scenarios.config import StrictSettings, validate

MAX_PER_DAY = 50
MAX_PER_WEEK = 200


class PolicyChange(StrictSettings):
    """What a change may hold; a field left out keeps the shop's current value (the defaults
    here are never applied: only the fields sent are)."""

    paused: bool = False
    max_per_day: int = Field(default=0, ge=0, le=MAX_PER_DAY)
    max_per_week: int = Field(default=0, ge=0, le=MAX_PER_WEEK)
    # Off: messages go at any hour; start and end are kept for when it is on again.
    quiet_hours_enabled: bool = True
    quiet_start: time = time(0)
    quiet_end: time = time(0)
    consent_write_back: bool = True


def apply_change(current: SendingPolicy, change: dict[str, Any]) -> SendingPolicy:
    """`current` with the fields of `change`; raises InvalidSettings naming every refused
    field (a value of the wrong type or out of bounds, a field that does not exist)."""
    checked = validate(PolicyChange, change)
    return replace(current, **{name: getattr(checked, name) for name in checked.model_fields_set})
