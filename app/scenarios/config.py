"""Scenario settings: typed, validated models with defaults, and the partial-update merge the
admin API uses (PUT with only the keys that change)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from app.scenarios.modes import Mode


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class DiscountSettings(_Strict):
    kind: Literal["percentage", "fixed_amount", "free_shipping"] = "percentage"
    # Percent for percentage (1–100), amount in the shop currency for fixed_amount.
    value: Decimal = Field(default=Decimal(10), ge=0)
    valid_hours: int = Field(default=72, ge=1, le=24 * 365)
    minimum_subtotal: Decimal | None = Field(default=None, ge=0)
    # Codes come from a pre-created pool so a send never waits on Shopify.
    use_pool: bool = True

    @model_validator(mode="after")
    def _value_fits_kind(self) -> DiscountSettings:
        if self.kind == "percentage" and not (Decimal(1) <= self.value <= Decimal(100)):
            raise PydanticCustomError(
                "percentage_out_of_range", "a percentage discount is between 1 and 100"
            )
        if self.kind == "fixed_amount" and self.value <= 0:
            raise PydanticCustomError(
                "amount_not_positive", "a fixed-amount discount must be more than 0"
            )
        return self


class StepSettings(_Strict):
    enabled: bool = True
    # Counted from the moment the checkout was last changed (the abandonment clock).
    delay_seconds: int = Field(ge=1, le=60 * 24 * 3600)
    discount: DiscountSettings | None = None


class AbandonedCartSettings(_Strict):
    mode: Mode = Mode.LIVE
    # Codes read PREFIX-XXXXXXXXXX; the merchant picks the prefix.
    code_prefix: str = Field(
        default="COMEBACK", min_length=1, max_length=12, pattern=r"^[A-Z0-9]+$"
    )
    # The merchant's legal choice: cart reminders may count as transactional (sent without
    # marketing consent). Off by default.
    transactional: bool = False
    attribution_window_days: int = Field(default=7, ge=1, le=90)
    steps: tuple[StepSettings, ...] = (
        StepSettings(delay_seconds=3600),
        StepSettings(delay_seconds=24 * 3600, discount=DiscountSettings(value=Decimal(10))),
        StepSettings(
            delay_seconds=72 * 3600,
            enabled=False,
            discount=DiscountSettings(value=Decimal(15)),
        ),
    )

    @model_validator(mode="after")
    def _steps_in_order(self) -> AbandonedCartSettings:
        if not self.steps:
            raise PydanticCustomError("no_steps", "steps: at least one step is needed")
        delays = [step.delay_seconds for step in self.steps]
        if delays != sorted(delays) or len(set(delays)) != len(delays):
            raise PydanticCustomError(
                "steps_out_of_order",
                "steps: each step's delay_seconds must be later than the one before",
            )
        return self


SETTINGS_MODELS: dict[str, type[_Strict]] = {"abandoned_cart": AbandonedCartSettings}


class UnknownScenario(LookupError):
    pass


@dataclass(frozen=True)
class SettingsProblem:
    """One reason the settings do not validate: where (`steps.1.delay_seconds`), pydantic's
    error type and context (for a translation), and its English message."""

    field: str
    kind: str
    context: dict[str, Any]
    message: str

    def __str__(self) -> str:
        return f"{self.field or 'settings'}: {self.message}"


# Model-level checks that concern one field: shown next to that field.
_FIELD_OF_KIND = {"no_steps": "steps", "steps_out_of_order": "steps"}
# A discount's checks that are about its value.
_VALUE_KINDS = frozenset({"percentage_out_of_range", "amount_not_positive"})


class InvalidSettings(ValueError):
    """The merged settings do not validate; `problems` says where and why."""

    def __init__(self, problems: list[SettingsProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def settings_model(scenario: str) -> type[_Strict]:
    try:
        return SETTINGS_MODELS[scenario]
    except KeyError:
        known = ", ".join(sorted(SETTINGS_MODELS))
        raise UnknownScenario(f"unknown scenario {scenario!r}; known: {known}") from None


def _merge(base: Any, patch: Any) -> Any:
    """Deep merge for objects. A list in the patch sets the list's length and each element
    merges into the one at its place (so `{"steps": [{}, {"delay_seconds": 7200}]}` changes
    step 2's delay and keeps two steps)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list):
        return [_merge(base[i], item) if i < len(base) else item for i, item in enumerate(patch)]
    return patch


def resolve(scenario: str, stored: dict[str, Any]) -> _Strict:
    """The effective settings: defaults overlaid with what the shop stored."""
    model = settings_model(scenario)
    return validate(model, _merge(model().model_dump(mode="json"), stored))


def apply_patch(scenario: str, stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge a partial update into the stored settings; raise InvalidSettings if the result
    is not valid. Returns the full effective settings as JSON, ready to store."""
    model = settings_model(scenario)
    current = _merge(model().model_dump(mode="json"), stored)
    merged = _merge(current, patch)
    result: dict[str, Any] = validate(model, merged).model_dump(mode="json")
    return result


def validate(model: type[_Strict], data: dict[str, Any]) -> _Strict:
    try:
        # JSON mode: strings for Decimal and enums are the JSON way; bool stays bool.
        return model.model_validate_json(_to_json(data))
    except ValidationError as exc:
        raise InvalidSettings([_problem(err) for err in exc.errors()]) from None


def _problem(err: ErrorDetails) -> SettingsProblem:
    field = ".".join(str(p) for p in err["loc"]) or _FIELD_OF_KIND.get(err["type"], "")
    if err["type"] in _VALUE_KINDS:
        field = f"{field}.value"
    message = err["msg"].removeprefix("Value error, ").removeprefix("steps: ")
    return SettingsProblem(field, err["type"], dict(err.get("ctx") or {}), message)


def _to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str)
