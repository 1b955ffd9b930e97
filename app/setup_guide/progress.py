"""How far the merchant is through the setup guide. Each step is read from what really
happened: the sender saved, a preview on a real customer, a test email accepted by the mail
server (recorded here when they happen, since nothing else keeps them), and a scenario on
(read from the scenarios' settings, never copied). Dismissing hides the guide; it can be
shown again."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import SetupGuideRow
from app.scenarios.engine import Scenario
from app.scenarios.modes import Mode
from app.scenarios.settings_store import effective_settings


class Step(enum.StrEnum):
    SENDER = "sender"  # the merchant reviewed and saved who the emails come from
    PREVIEW = "preview"  # an email previewed on one of the shop's real customers
    TEST = "test"  # a test email sent to the shop's own address
    TURN_ON = "turn_on"  # a scenario live, in approval or in dry run


# The steps the guide records itself, with the column each is kept in.
_RECORDED = {
    Step.SENDER: "sender_checked_at",
    Step.PREVIEW: "previewed_at",
    Step.TEST: "test_sent_at",
}


@dataclass(frozen=True)
class Progress:
    done: dict[Step, bool]
    dismissed: bool
    # The scenarios that are on, and in which mode (what "turn on" found).
    modes: dict[str, Mode]

    @property
    def complete(self) -> bool:
        return all(self.done.values())


async def _row(session: AsyncSession, shop_id: int) -> SetupGuideRow | None:
    row: SetupGuideRow | None = await session.scalar(
        select(SetupGuideRow).where(SetupGuideRow.shop_id == shop_id)
    )
    return row


async def scenario_modes(
    session: AsyncSession, shop_id: int, scenarios: Iterable[Scenario[Any, Any]]
) -> dict[str, Mode]:
    """Each scenario's effective mode for the shop."""
    modes: dict[str, Mode] = {}
    for scenario in scenarios:
        settings = await effective_settings(session, shop_id, scenario.key, scenario.settings_model)
        modes[scenario.key] = Mode(settings["mode"])
    return modes


async def progress(
    session: AsyncSession, shop_id: int, scenarios: Iterable[Scenario[Any, Any]]
) -> Progress:
    row = await _row(session, shop_id)
    modes = await scenario_modes(session, shop_id, scenarios)
    done = {
        step: row is not None and getattr(row, column) is not None
        for step, column in _RECORDED.items()
    }
    done[Step.TURN_ON] = any(mode != Mode.PAUSED for mode in modes.values())
    return Progress(
        done=done,
        dismissed=row is not None and row.dismissed_at is not None,
        modes=modes,
    )


async def record(session: AsyncSession, shop_id: int, step: Step, now: datetime) -> None:
    """The step happened (the first time counts; doing it again changes nothing)."""
    column = _RECORDED.get(step)
    if column is None:
        raise ValueError(f"{step} is read from the shop's state, not recorded")
    table = SetupGuideRow.__table__
    await session.execute(
        insert(SetupGuideRow)
        .values(shop_id=shop_id, **{column: now})
        .on_conflict_do_update(
            index_elements=["shop_id"],
            set_={column: func.coalesce(table.c[column], now), "updated_at": func.now()},
        )
    )


async def set_dismissed(
    session: AsyncSession, shop_id: int, dismissed: bool, now: datetime
) -> None:
    value = now if dismissed else None
    await session.execute(
        insert(SetupGuideRow)
        .values(shop_id=shop_id, dismissed_at=value)
        .on_conflict_do_update(
            index_elements=["shop_id"], set_={"dismissed_at": value, "updated_at": func.now()}
        )
    )
