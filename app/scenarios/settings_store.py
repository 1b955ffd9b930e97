"""Reading and changing a shop's scenario settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScenarioSetting
from app.scenarios.config import AbandonedCartSettings, apply_patch, resolve, settings_model


async def stored_settings(session: AsyncSession, shop_id: int, scenario: str) -> dict[str, Any]:
    settings_model(scenario)  # unknown scenario → UnknownScenario
    row = await session.scalar(
        select(ScenarioSetting.settings).where(
            ScenarioSetting.shop_id == shop_id, ScenarioSetting.scenario == scenario
        )
    )
    return dict(row or {})


async def effective_settings(session: AsyncSession, shop_id: int, scenario: str) -> dict[str, Any]:
    stored = await stored_settings(session, shop_id, scenario)
    result: dict[str, Any] = resolve(scenario, stored).model_dump(mode="json")
    return result


async def abandoned_cart_settings(session: AsyncSession, shop_id: int) -> AbandonedCartSettings:
    resolved = resolve("abandoned_cart", await stored_settings(session, shop_id, "abandoned_cart"))
    assert isinstance(resolved, AbandonedCartSettings)  # noqa: S101  (registry maps it so)
    return resolved


async def update_settings(
    session: AsyncSession, shop_id: int, scenario: str, patch: dict[str, Any]
) -> dict[str, Any]:
    """Merge `patch` into the shop's settings (row-locked, so two saves can't lose each
    other's keys) and return the effective settings. Raises InvalidSettings."""
    await session.execute(
        insert(ScenarioSetting)
        .values(shop_id=shop_id, scenario=scenario, settings={})
        .on_conflict_do_nothing(index_elements=["shop_id", "scenario"])
    )
    row = await session.scalar(
        select(ScenarioSetting)
        .where(ScenarioSetting.shop_id == shop_id, ScenarioSetting.scenario == scenario)
        .with_for_update()
    )
    assert row is not None  # noqa: S101  (inserted just above)
    merged = apply_patch(scenario, row.settings, patch)
    row.settings = merged
    return merged
