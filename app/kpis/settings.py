"""A shop's analytics settings: the attribution window and the scenarios' holdout shares.
Changing the window re-rolls every day (its attributions depend on it): the days are marked
for the roll-up job."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidRequest
from app.i18n import Text
from app.models import AnalyticsSettings
from app.scenarios.holdout import DEFAULT_PERCENT, MAX_PERCENT

MAX_WINDOW_DAYS = 30


async def read(session: AsyncSession, shop_id: int) -> dict[str, Any]:
    row = await session.scalar(
        select(AnalyticsSettings)
        .where(AnalyticsSettings.shop_id == shop_id)
        .execution_options(populate_existing=True)
    )
    return {
        "attribution_window_days": row.attribution_window_days if row else 5,
        "holdouts": dict(row.holdouts) if row else {},
        "default_holdout_percent": str(DEFAULT_PERCENT),
    }


def _window(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WINDOW_DAYS:
        raise InvalidRequest(
            Text(
                en=f"attribution_window_days is a whole number of days from 1 to "
                f"{MAX_WINDOW_DAYS}, e.g. 5.",
                fr=f"attribution_window_days est un nombre entier de jours de 1 à "
                f"{MAX_WINDOW_DAYS}, par exemple 5.",
            )
        )
    return value


def _percent(key: str, value: Any) -> str:
    """A holdout share: true for the default 10 %, false or 0 for off, or a percent."""
    if value is True:
        return str(DEFAULT_PERCENT)
    if value is False or value is None:
        return "0"
    try:
        percent = Decimal(str(value))
    except InvalidOperation:
        percent = Decimal(-1)
    if isinstance(value, bool) or not Decimal(0) <= percent <= MAX_PERCENT:
        raise InvalidRequest(
            Text(
                en=f"The holdout of {key!r} is a percent from 0 to {MAX_PERCENT} (true for "
                f"{DEFAULT_PERCENT}), e.g. 10.",
                fr=f"Le groupe témoin de {key!r} est un pourcentage de 0 à {MAX_PERCENT} (true "
                f"pour {DEFAULT_PERCENT}), par exemple 10.",
            )
        )
    return str(percent)


async def update(
    session: AsyncSession, shop_id: int, patch: dict[str, Any], known: list[str]
) -> dict[str, Any]:
    current = await read(session, shop_id)
    window = current["attribution_window_days"]
    holdouts: dict[str, str] = dict(current["holdouts"])
    if "attribution_window_days" in patch:
        window = _window(patch["attribution_window_days"])
    for key, value in (patch.get("holdouts") or {}).items():
        if key not in known:
            raise InvalidRequest(
                Text(
                    en=f"There is no scenario {key!r}; known: {', '.join(known)}.",
                    fr=f"Il n'existe pas de scénario {key!r} ; scénarios connus : "
                    f"{', '.join(known)}.",
                )
            )
        holdouts[key] = _percent(key, value)
    holdouts = {k: v for k, v in holdouts.items() if Decimal(v) > 0}
    await session.execute(
        insert(AnalyticsSettings)
        .values(shop_id=shop_id, attribution_window_days=window, holdouts=holdouts)
        .on_conflict_do_update(
            index_elements=["shop_id"],
            set_={"attribution_window_days": window, "holdouts": holdouts},
        )
    )
    if window != current["attribution_window_days"]:
        # Every day with orders is attributed again under the new window.
        await session.execute(
            text(
                "INSERT INTO kpi_dirty_days (shop_id, day) "
                "SELECT DISTINCT shop_id, (placed_at AT TIME ZONE 'UTC')::date FROM orders "
                "WHERE shop_id = :shop_id AND placed_at IS NOT NULL"
            ),
            {"shop_id": shop_id},
        )
    return await read(session, shop_id)
