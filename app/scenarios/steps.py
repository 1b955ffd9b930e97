"""What the journeys declared in their own packages share in their settings: a step whose
delay may be zero (sent at once), and the rule that a sequence keeps its steps, in order, each
later than the one before, said in English and French. Built on app/scenarios/config.py's
strict models so the admin API's merge and error wording apply unchanged."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from app.i18n import Text
from app.scenarios.config import SettingsProblem, StepSettings

MAX_DELAY_SECONDS = 365 * 24 * 3600


class JourneyStepSettings(StepSettings):
    """A step of a journey: its delay counts from the run's anchor (the sign-up for welcome,
    the selection for win-back); 0 sends it as soon as the run starts."""

    delay_seconds: int = Field(ge=0, le=MAX_DELAY_SECONDS)


def check_steps(steps: Sequence[StepSettings], keys: tuple[str, ...]) -> None:
    """Raise SettingsProblem unless the steps are `keys` in order with rising delays."""
    if tuple(step.key for step in steps) != keys:
        names = ", ".join(keys)
        raise SettingsProblem(
            Text(
                en=f"the sequence's steps are {names}, in that order; a step's key cannot be "
                "changed",
                fr=f"les étapes de la séquence sont {names}, dans cet ordre ; la clé d'une "
                "étape ne peut pas être modifiée",
            ),
            field="steps",
            code="steps_fixed",
        )
    check_delays_rise(steps)


def check_delays_rise(steps: Sequence[StepSettings]) -> None:
    """Raise SettingsProblem, on the step's own delay, unless each step that is on comes later
    than the one on before it. A step that is off is not checked against the others: the
    engine passes it over at its own time or with the next step that is on, whichever comes
    first (app/scenarios/engine.py's due_at), so its delay never holds the next one back."""
    before: tuple[int, StepSettings] | None = None
    for index, step in enumerate(steps):
        if not step.enabled:
            continue
        if before is not None and step.delay_seconds <= before[1].delay_seconds:
            b_index, b_step = before
            raise SettingsProblem(
                Text(
                    en=f"step {index + 1} ({step.key}) must come later than step {b_index + 1} "
                    f"({b_step.key}): its delay_seconds is {step.delay_seconds}, send more "
                    f"than {b_step.delay_seconds} (or turn one of them off)",
                    fr=f"l'étape {index + 1} ({step.key}) doit venir après l'étape "
                    f"{b_index + 1} ({b_step.key}) : son delay_seconds vaut "
                    f"{step.delay_seconds}, envoyez plus de {b_step.delay_seconds} (ou "
                    "désactivez l'une des deux)",
                ),
                field=f"steps.{index}.delay_seconds",
                code="delay_order",
                params={
                    "step": index + 1,
                    "before": b_index + 1,
                    "before_delay_seconds": b_step.delay_seconds,
                },
            )
        before = (index, step)
