"""What every scenario's settings share: the strict base model, discounts and steps, and the
partial-update merge the admin API uses (PUT with only the keys that change). Every problem is
said in English and French: the field, what is wrong, and what to send instead."""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from app.i18n import Text
from app.scenarios.modes import Mode

# The longest attribution window a scenario's settings may ask for: an order looks this far
# back for the runs it could be attributed to (engine.runs_an_order_concerns).
MAX_ATTRIBUTION_WINDOW_DAYS = 90

# The pattern of a settings key a merchant names (a loyalty tier, a reward): lowercase.
KEY_PATTERN = r"^[a-z0-9_]+$"


class StrictSettings(BaseModel):
    """The base of every settings model: strict types, unknown keys refused, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ScenarioSettings(StrictSettings):
    """The base of every scenario's settings model: what each has, stored as columns of
    `scenario_settings` (the rest of a model is stored in its `options`)."""

    mode: Mode = Mode.LIVE
    # Whether its messages may go without marketing consent (the merchant's legal choice).
    transactional: bool = False


class SettingsProblem(ValueError):
    """A rule of ours broken (raised in a validator), said in both languages. `field` names
    the field it concerns, relative to the model that raised it ("value", "steps.2.delay");
    `code` and `params` let a form say it in its own words (see Problem)."""

    def __init__(
        self,
        text: Text,
        *,
        field: str = "",
        code: str = "invalid",
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(text.en)
        self.text = text
        self.field = field
        self.code = code
        self.params = params or {}


def refuse_transactional(transactional: bool, *, en: str, fr: str) -> None:
    """Raised by a marketing journey's validator (a welcome, a win-back: `en`/`fr` name it):
    marketing never goes without the customer's consent, nor past the frequency cap and the
    priority, which transactional email skips."""
    if transactional:
        raise SettingsProblem(
            Text(
                en=f"{en} is marketing and needs the customer's consent: "
                'send "transactional": false',
                fr=f"{fr} est du marketing et demande le consentement du client : "
                'envoyez "transactional": false',
            ),
            field="transactional",
        )


@dataclass(frozen=True)
class Problem:
    """One reason settings are refused. `field` is where the admin form shows it
    (`steps.1.delay_seconds`, by position; "" for the whole); `what` says what is wrong and
    what to send, in the API's words; `text` is the same, prefixed with the path a patch
    would use. `code` and `params` say the same for a form to word in the merchant's terms
    (a delay in the unit they chose, never a field's API name): `min`, `max`, `more_than`,
    `less_than`, `too_short`, `too_long` (each with {"limit"}), `number`, `whole_number`,
    `required`, `one_of` {"expected"}, `code_pattern`, `key_pattern`, `percentage_range`,
    `amount_positive`, `delay_order` {"step", "before", "before_delay_seconds"},
    `steps_fixed`, `unknown`, `invalid`."""

    field: str
    what: Text
    text: Text
    code: str = "invalid"
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


def _steps_problem(text: Text) -> Problem:
    return Problem(field="steps", what=text, text=text, code="steps")


class CombinesWith(StrictSettings):
    """Which other discounts an order may stack with the code (Shopify's combinesWith)."""

    order_discounts: bool = False
    product_discounts: bool = False
    shipping_discounts: bool = False


class DiscountSettings(StrictSettings):
    kind: Literal["percentage", "fixed_amount", "free_shipping"] = "percentage"
    # Percent for percentage (1–100), amount in the shop currency for fixed_amount.
    value: Decimal = Field(default=Decimal(10), ge=0)
    valid_hours: int = Field(default=72, ge=1, le=24 * 365)
    minimum_subtotal: Decimal | None = Field(default=None, ge=0)
    # Codes come from a pre-created pool so a send never waits on Shopify.
    use_pool: bool = True
    combines_with: CombinesWith = CombinesWith()

    @model_validator(mode="after")
    def _value_fits_kind(self) -> DiscountSettings:
        if self.kind == "percentage" and not (Decimal(1) <= self.value <= Decimal(100)):
            raise SettingsProblem(
                Text(
                    en='a percentage discount is between 1 and 100: send e.g. "value": "10"',
                    fr="une remise en pourcentage est comprise entre 1 et 100 : envoyez par "
                    'exemple "value": "10"',
                ),
                field="value",
                code="percentage_range",
            )
        if self.kind == "fixed_amount" and self.value <= 0:
            raise SettingsProblem(
                Text(
                    en='a fixed-amount discount must be more than 0: send e.g. "value": "5.00"',
                    fr="une remise d'un montant fixe doit être supérieure à 0 : envoyez par "
                    'exemple "value": "5.00"',
                ),
                field="value",
                code="amount_positive",
            )
        return self


class StepSettings(StrictSettings):
    # The step's name in patches and on the timeline; fixed by the scenario.
    key: str
    enabled: bool = True
    # Counted from the run's anchor (for a cart: when its checkout was last changed).
    delay_seconds: int = Field(ge=1, le=60 * 24 * 3600)
    discount: DiscountSettings | None = None


class InvalidSettings(ValueError):
    """The merged settings do not validate; `problems` says where and why, in both languages."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.text.en for p in problems))
        self.problems = problems

    @property
    def text(self) -> Text:
        return Text(
            en="These settings are not valid: " + "; ".join(p.text.en for p in self.problems),
            fr="Ces réglages ne sont pas valides : " + "; ".join(p.text.fr for p in self.problems),
        )


def _merge(base: Any, patch: Any) -> Any:
    """Deep merge for objects; anything else in the patch replaces what was there."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if key == "steps" and isinstance(base.get("steps"), list):
                merged[key] = _merge_steps(base["steps"], value)
            else:
                merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return patch


def _step_names(steps: list[Any]) -> str:
    keys = [str(s.get("key")) for s in steps if isinstance(s, dict)]
    return ", ".join(f"{n} ({k})" for n, k in enumerate(keys, start=1))


def _merge_steps(base: list[Any], patch: Any) -> list[Any]:
    """A partial change to some steps, leaving the others as they are. Two forms:
    - a list: element i changes step i+1 (`[{}, {"delay_seconds": 7200}]` changes step 2);
      steps past the list's end stay as they are;
    - an object keyed by step number (1-based, as on the timeline) or step key:
      `{"2": {"enabled": false}}` or `{"last_reminder": {"enabled": true}}`."""
    names = _step_names(base)
    if isinstance(patch, list):
        if len(patch) > len(base):
            raise InvalidSettings(
                [
                    _steps_problem(
                        Text(
                            en=f"steps: the sequence has {len(base)} steps ({names}), not "
                            f"{len(patch)}; change one with an object such as "
                            '{"steps": {"2": {"enabled": false}}}',
                            fr=f"steps : la séquence compte {len(base)} étapes ({names}), et non "
                            f"{len(patch)} ; modifiez-en une avec un objet comme "
                            '{"steps": {"2": {"enabled": false}}}',
                        )
                    )
                ]
            )
        changes = dict(enumerate(patch))
    elif isinstance(patch, dict):
        changes = {}
        for name, change in patch.items():
            index = _step_index(base, str(name))
            if index is None:
                raise InvalidSettings(
                    [
                        _steps_problem(
                            Text(
                                en=f"steps.{name}: there is no such step; name a step by its "
                                f"number or key: {names}",
                                fr=f"steps.{name} : cette étape n'existe pas ; désignez une étape "
                                f"par son numéro ou sa clé : {names}",
                            )
                        )
                    ]
                )
            changes[index] = change
    else:
        raise InvalidSettings(
            [
                _steps_problem(
                    Text(
                        en="steps: send a list of step changes or an object keyed by step number "
                        'or key, e.g. {"steps": {"2": {"delay_seconds": 7200}}}',
                        fr="steps : envoyez une liste de modifications d'étapes ou un objet indexé "
                        "par numéro ou clé d'étape, par exemple "
                        '{"steps": {"2": {"delay_seconds": 7200}}}',
                    )
                )
            ]
        )
    merged = list(base)
    for index, change in changes.items():
        if not isinstance(change, dict):
            raise InvalidSettings(
                [
                    _steps_problem(
                        Text(
                            en=f"steps.{index + 1}: a step's change is an object such as "
                            '{"delay_seconds": 7200, "enabled": true}',
                            fr=f"steps.{index + 1} : la modification d'une étape est un "
                            "objet comme "
                            '{"delay_seconds": 7200, "enabled": true}',
                        )
                    )
                ]
            )
        merged[index] = _merge(base[index], change)
    return merged


def _step_index(steps: list[Any], name: str) -> int | None:
    if name.isdigit() and 1 <= int(name) <= len(steps):
        return int(name) - 1
    for index, step in enumerate(steps):
        if isinstance(step, dict) and step.get("key") == name:
            return index
    return None


def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    data: dict[str, Any] = model().model_dump(mode="json")
    return data


def _with_stored(model: type[BaseModel], stored: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with what the shop stored. A stored steps list merges by position
    and keeps the scenario's own steps (older rows may hold another count)."""
    base = _defaults(model)
    merged = dict(base)
    for key, value in stored.items():
        if key == "steps" and isinstance(value, list) and isinstance(base.get("steps"), list):
            steps = base["steps"]
            merged["steps"] = [
                _merge(step, {**value[i], "key": step["key"]})
                if i < len(value) and isinstance(value[i], dict)
                else step
                for i, step in enumerate(steps)
            ]
        else:
            merged[key] = _merge(base.get(key), value) if key in base else value
    return merged


def resolve(model: type[BaseModel], stored: dict[str, Any]) -> BaseModel:
    """The effective settings: defaults overlaid with what the shop stored."""
    return validate(model, _with_stored(model, stored))


def resolve_stored(model: type[BaseModel], stored: dict[str, Any]) -> BaseModel:
    """`resolve`, remembered by the process for the same stored content: a paid order reads
    its shop's settings in every transaction, and validating them cost more than reading
    them. Nothing to invalidate: the key is the stored content itself (a change is another
    key), and the settings models are frozen, so one instance can serve every caller."""
    return _resolved(model, json.dumps(stored, sort_keys=True, default=str))


@functools.lru_cache(maxsize=512)
def _resolved(model: type[BaseModel], stored_json: str) -> BaseModel:
    return resolve(model, json.loads(stored_json))


def apply_patch(
    model: type[BaseModel], stored: dict[str, Any], patch: dict[str, Any]
) -> dict[str, Any]:
    """Merge a partial update into the stored settings; raise InvalidSettings if the result
    is not valid. Returns the full effective settings as JSON, ready to store."""
    merged = _merge(_with_stored(model, stored), patch)
    result: dict[str, Any] = validate(model, merged).model_dump(mode="json")
    return result


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        # JSON mode: strings for Decimal and enums are the JSON way; bool stays bool.
        return model.model_validate_json(_to_json(data))
    except ValidationError as exc:
        steps = data.get("steps")
        raise InvalidSettings(
            [_describe(err, steps if isinstance(steps, list) else []) for err in exc.errors()]
        ) from None


def _to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=str)


def _path(loc: tuple[int | str, ...], steps: list[Any]) -> str:
    """`steps.1.delay_seconds` → `steps.second_reminder.delay_seconds`: the key a patch uses."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if i > 0 and loc[i - 1] == "steps" and isinstance(part, int):
            step = steps[part] if part < len(steps) else None
            parts.append(str(step.get("key")) if isinstance(step, dict) else str(part + 1))
        else:
            parts.append(str(part))
    return ".".join(parts) or "settings"


def _describe(err: ErrorDetails, steps: list[Any]) -> Problem:
    loc: tuple[int | str, ...] = tuple(err["loc"])
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    ours = ctx.get("error") if err["type"] == "value_error" else None
    if isinstance(ours, SettingsProblem) and ours.field:
        loc = (*loc, *(int(p) if p.isdigit() else p for p in ours.field.split(".")))
    path = _path(loc, steps)
    what = _what(err)
    code, params = _code(err)
    return Problem(
        field=".".join(str(part) for part in loc),
        what=what,
        text=Text(en=f"{path}: {what.en}", fr=f"{path} : {what.fr}"),
        code=code,
        params=params,
    )


# Where FastAPI says a request's value came from: not part of the field's name.
_REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


def request_problem(err: ErrorDetails) -> Problem:
    """One of FastAPI's request-validation errors (an admin form's field too long, a query
    parameter out of bounds) as a Problem, said in both languages like a setting's."""
    loc = tuple(err["loc"])
    if loc and loc[0] in _REQUEST_PARTS:
        loc = loc[1:]
    located = ErrorDetails(**{**err, "loc": loc})
    return _describe(located, [])


def _code(err: ErrorDetails) -> tuple[str, dict[str, Any]]:
    """What is wrong as a code and its figures, for a form to say in the merchant's words."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if kind == "value_error" and isinstance(ctx.get("error"), SettingsProblem):
        problem: SettingsProblem = ctx["error"]
        return problem.code, problem.params
    simple = {
        "missing": "required",
        "bool_type": "true_or_false",
        "bool_parsing": "true_or_false",
        "int_type": "whole_number",
        "int_parsing": "whole_number",
        "int_from_float": "whole_number",
        "string_type": "text",
        "extra_forbidden": "unknown",
    }
    if kind in simple:
        return simple[kind], {}
    if kind.startswith("decimal_") or kind in ("float_type", "float_parsing"):
        return "number", {}
    bounds = {
        "greater_than_equal": ("min", "ge"),
        "greater_than": ("more_than", "gt"),
        "less_than_equal": ("max", "le"),
        "less_than": ("less_than", "lt"),
        "string_too_short": ("too_short", "min_length"),
        "string_too_long": ("too_long", "max_length"),
    }
    if kind in bounds:
        code, key = bounds[kind]
        value = ctx.get(key)
        return code, {"limit": value if isinstance(value, int | float) else str(value)}
    if kind == "string_pattern_mismatch":
        return ("key_pattern" if ctx.get("pattern") == KEY_PATTERN else "code_pattern"), {}
    if kind in ("time_type", "time_parsing"):
        return "time", {}
    if kind in ("enum", "literal_error"):
        return "one_of", {"expected": str(ctx.get("expected", ""))}
    return "invalid", {}


def _what(err: ErrorDetails) -> Text:
    """What is wrong and what to send, for the pydantic error types our models can raise."""
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if kind == "value_error" and isinstance(ctx.get("error"), SettingsProblem):
        problem: SettingsProblem = ctx["error"]
        return problem.text
    if kind == "missing":
        return Text(en="is required: send it", fr="est obligatoire : envoyez-le")
    if kind == "json_invalid":
        return Text(
            en="is not valid JSON: send a JSON object",
            fr="n'est pas du JSON valide : envoyez un objet JSON",
        )
    if kind == "extra_forbidden":
        return Text(
            en="is not a setting of this scenario: remove it (GET the scenario to see its "
            "settings)",
            fr="n'est pas un réglage de ce scénario : retirez-le (un GET du scénario liste ses "
            "réglages)",
        )
    if kind in ("bool_type", "bool_parsing"):
        return Text(en="must be true or false", fr="doit valoir true ou false")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return Text(
            en="must be a whole number, e.g. 3600",
            fr="doit être un nombre entier, par exemple 3600",
        )
    if kind.startswith("decimal_") or kind in ("float_type", "float_parsing"):
        return Text(
            en='must be a number, sent as a string such as "10" or "12.50"',
            fr='doit être un nombre, envoyé sous forme de chaîne comme "10" ou "12.50"',
        )
    if kind == "string_type":
        return Text(
            en='must be a string, e.g. "COMEBACK"',
            fr='doit être une chaîne, par exemple "COMEBACK"',
        )
    if kind == "greater_than_equal":
        return Text(
            en=f"must be at least {ctx.get('ge')}: send {ctx.get('ge')} or more",
            fr=f"doit valoir au moins {ctx.get('ge')} : envoyez {ctx.get('ge')} ou plus",
        )
    if kind == "less_than_equal":
        return Text(
            en=f"must be at most {ctx.get('le')}: send {ctx.get('le')} or less",
            fr=f"doit valoir au plus {ctx.get('le')} : envoyez {ctx.get('le')} ou moins",
        )
    if kind == "greater_than":
        return Text(
            en=f"must be more than {ctx.get('gt')}", fr=f"doit être supérieur à {ctx.get('gt')}"
        )
    if kind == "less_than":
        return Text(
            en=f"must be less than {ctx.get('lt')}", fr=f"doit être inférieur à {ctx.get('lt')}"
        )
    if kind == "string_too_short":
        return Text(
            en=f"is too short: send at least {ctx.get('min_length')} characters",
            fr=f"est trop court : envoyez au moins {ctx.get('min_length')} caractères",
        )
    if kind == "string_too_long":
        return Text(
            en=f"is too long: send at most {ctx.get('max_length')} characters",
            fr=f"est trop long : envoyez au plus {ctx.get('max_length')} caractères",
        )
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == KEY_PATTERN:
        return Text(
            en='may hold only lowercase letters a–z, digits 0–9 and "_", e.g. "gold"',
            fr='ne peut contenir que des lettres minuscules a–z, des chiffres 0–9 et "_", par '
            'exemple "gold"',
        )
    if kind == "string_pattern_mismatch":
        return Text(
            en='may hold only capital letters A–Z and digits 0–9, e.g. "COMEBACK"',
            fr="ne peut contenir que des lettres majuscules A–Z et des chiffres 0–9, par "
            'exemple "COMEBACK"',
        )
    if kind in ("time_type", "time_parsing"):
        return Text(
            en='must be a time of day, hours and minutes such as "21:00"',
            fr='doit être une heure de la journée, en heures et minutes comme "21:00"',
        )
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        return Text(
            en=f"must be one of {expected}",
            fr=f"doit être l'une de ces valeurs : {expected.replace(' or ', ' ou ')}",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return Text(
            en="must be an object { … } (or null where the setting may be off)",
            fr="doit être un objet { … } (ou null là où le réglage peut être désactivé)",
        )
    if kind in ("tuple_type", "list_type"):
        return Text(en="must be a list [ … ]", fr="doit être une liste [ … ]")
    message = err["msg"].removeprefix("Value error, ")
    return Text(en=message, fr=f"valeur refusée ({message})")
