"""Reading and changing a shop's scenario settings. They live in `scenario_settings` (shared
with the messaging layer): `mode` and `transactional` as columns, the rest in `options`.
This is the one way a scenario's settings change (the admin API's PUT /api/scenarios/{key});
pausing stops the scenario's running sequences in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScenarioSetting
from app.scenarios.config import apply_patch, resolve
from app.scenarios.modes import Mode
from app.scenarios.runs import stop_running_sequences

_COLUMNS = ("mode", "transactional")


def _stored(row: ScenarioSetting | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {**row.options, "mode": row.mode, "transactional": row.transactional}


def _stored_defaults(model: type[BaseModel]) -> dict[str, Any]:
    """The columns' values of a scenario whose shop stored nothing: its model's defaults."""
    defaults = resolve(model, {})
    mode = getattr(defaults, "mode", Mode.LIVE)
    return {
        "mode": Mode(mode).value,
        "transactional": bool(getattr(defaults, "transactional", False)),
    }


async def _row(
    session: AsyncSession, shop_id: int, scenario: str, *, lock: bool = False
) -> ScenarioSetting | None:
    statement = select(ScenarioSetting).where(
        ScenarioSetting.shop_id == shop_id, ScenarioSetting.scenario == scenario
    )
    if lock:
        statement = statement.with_for_update()
    result: ScenarioSetting | None = await session.scalar(statement)
    return result


async def stored_options(session: AsyncSession, shop_id: int, scenario: str) -> dict[str, Any]:
    """What the shop stored for the scenario (nothing: the model's defaults apply)."""
    return _stored(await _row(session, shop_id, scenario))


async def effective_settings(
    session: AsyncSession, shop_id: int, scenario: str, model: type[BaseModel]
) -> dict[str, Any]:
    """The scenario's settings for the shop (defaults overlaid with what it stored), as JSON."""
    settings = resolve(model, await stored_options(session, shop_id, scenario))
    result: dict[str, Any] = settings.model_dump(mode="json")
    return result


async def update_settings(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    model: type[BaseModel],
    patch: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Merge `patch` into the shop's settings (row-locked, so two saves can't lose each
    other's keys) and return the effective settings; pausing stops the running sequences at
    once. Raises InvalidSettings."""
    # A shop without a row yet runs on the model's defaults: the row starts from them, so a
    # change of a step alone leaves a scenario that is off by default (welcome, win-back,
    # review requests) off, not live.
    defaults = _stored_defaults(model)
    await session.execute(
        insert(ScenarioSetting)
        .values(shop_id=shop_id, scenario=scenario, options={}, **defaults)
        .on_conflict_do_nothing(index_elements=["shop_id", "scenario"])
    )
    row = await _row(session, shop_id, scenario, lock=True)
    if row is None:
        raise LookupError("scenario settings row vanished under its lock")
    merged = apply_patch(model, _stored(row), patch)
    row.mode = merged["mode"]
    row.transactional = merged["transactional"]
    row.options = {k: v for k, v in merged.items() if k not in _COLUMNS}
    if merged["mode"] == Mode.PAUSED:
        await stop_running_sequences(session, shop_id, "scenario_paused", now, scenario)
    return merged


async def start_paused(session: AsyncSession, shop_id: int, scenarios: list[str]) -> None:
    """A shop installed anew runs nothing until its merchant turns each scenario on (the
    setup guide walks them there): every scenario is stored paused. A scenario the shop
    already has a row for keeps it, so a shop installed before this rule runs as it did."""
    if not scenarios:
        return
    await session.execute(
        insert(ScenarioSetting)
        .values(
            [
                {
                    "shop_id": shop_id,
                    "scenario": key,
                    "mode": Mode.PAUSED.value,
                    "transactional": False,
                    "options": {},
                }
                for key in scenarios
            ]
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "scenario"])
    )
