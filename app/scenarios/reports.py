"""What a scenario did and earned, for the merchant: counts, recovered revenue, discount cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ScenarioConversion, ScenarioRun, TimelineEntry


@dataclass(frozen=True)
class ScenarioReport:
    scenario: str
    runs_started: int
    runs_active: int
    runs_stopped: dict[str, int]
    messages_sent: int
    messages_awaiting_approval: int
    messages_drafted: int
    orders_recovered: int
    revenue: Decimal
    discount_cost: Decimal


async def scenario_report(session: AsyncSession, shop_id: int, scenario: str) -> ScenarioReport:
    by_status: dict[str, int] = dict(
        (
            await session.execute(
                select(ScenarioRun.status, func.count())
                .where(ScenarioRun.shop_id == shop_id, ScenarioRun.scenario == scenario)
                .group_by(ScenarioRun.status)
            )
        ).all()
    )
    stopped = dict(
        (
            await session.execute(
                select(ScenarioRun.stop_reason, func.count())
                .where(
                    ScenarioRun.shop_id == shop_id,
                    ScenarioRun.scenario == scenario,
                    ScenarioRun.status == "stopped",
                )
                .group_by(ScenarioRun.stop_reason)
            )
        ).all()
    )
    steps = dict(
        (
            await session.execute(
                select(TimelineEntry.kind, func.count())
                .where(TimelineEntry.shop_id == shop_id, TimelineEntry.scenario == scenario)
                .group_by(TimelineEntry.kind)
            )
        ).all()
    )
    orders, revenue, cost = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ScenarioConversion.revenue), 0),
                func.coalesce(func.sum(ScenarioConversion.discount_cost), 0),
            ).where(ScenarioConversion.shop_id == shop_id, ScenarioConversion.scenario == scenario)
        )
    ).one()
    return ScenarioReport(
        scenario=scenario,
        runs_started=sum(by_status.values()),
        runs_active=by_status.get("active", 0),
        runs_stopped={str(k): v for k, v in stopped.items()},
        messages_sent=steps.get("step_sent", 0),
        messages_awaiting_approval=steps.get("step_awaiting_approval", 0),
        messages_drafted=steps.get("step_drafted", 0),
        orders_recovered=int(orders),
        revenue=Decimal(revenue),
        discount_cost=Decimal(cost),
    )
