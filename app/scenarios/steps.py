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
        )
    delays = [step.delay_seconds for step in steps]
    if delays != sorted(delays) or len(set(delays)) != len(delays):
        now = ", ".join(map(str, delays))
        raise SettingsProblem(
            Text(
                en=f"each step's delay_seconds must be later than the one before (now {now})",
                fr="le delay_seconds de chaque étape doit être plus grand que celui de l'étape "
                f"précédente (actuellement {now})",
            ),
            field="steps",
        )
