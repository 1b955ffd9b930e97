"""Reading and changing a shop's scenario settings. They live in `scenario_settings` (shared
with the messaging layer): `mode` and `transactional` as columns, the rest in `options`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScenarioSetting
from app.scenarios.config import AbandonedCartSettings, apply_patch, resolve, settings_model

_COLUMNS = ("mode", "transactional")


def _stored(row: ScenarioSetting | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {**row.options, "mode": row.mode, "transactional": row.transactional}


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


async def effective_settings(session: AsyncSession, shop_id: int, scenario: str) -> dict[str, Any]:
    settings_model(scenario)  # unknown scenario → UnknownScenario
    stored = _stored(await _row(session, shop_id, scenario))
    result: dict[str, Any] = resolve(scenario, stored).model_dump(mode="json")
    return result


async def abandoned_cart_settings(session: AsyncSession, shop_id: int) -> AbandonedCartSettings:
    resolved = resolve("abandoned_cart", _stored(await _row(session, shop_id, "abandoned_cart")))
    if not isinstance(resolved, AbandonedCartSettings):
        raise TypeError("abandoned_cart settings model is mis-registered")
    return resolved


async def update_settings(
    session: AsyncSession, shop_id: int, scenario: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """Merge `patch` into the shop's settings (row-locked, so two saves can't lose each
    other's keys) and return the effective settings. Raises InvalidSettings."""
    settings_model(scenario)
    await session.execute(
        insert(ScenarioSetting)
        .values(shop_id=shop_id, scenario=scenario, mode="live", transactional=False, options={})
        .on_conflict_do_nothing(index_elements=["shop_id", "scenario"])
    )
    row = await _row(session, shop_id, scenario, lock=True)
    if row is None:
        raise LookupError("scenario settings row vanished under its lock")
    merged = apply_patch(scenario, _stored(row), patch)
    row.mode = merged["mode"]
    row.transactional = merged["transactional"]
    row.options = {k: v for k, v in merged.items() if k not in _COLUMNS}
    return merged
