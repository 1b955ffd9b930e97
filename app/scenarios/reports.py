"""What a scenario did and earned, for the merchant: runs, messages by what became of them
(sent means the relay accepted it; unconfirmed, apart, that it was handed over and the answer
lost with a stopped worker), human opens and clicks (machine ones apart: Apple's
privacy proxy and link scanners), recovered revenue and the discounts' cost."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Message, MessageEvent, ScenarioConversion, ScenarioRun


@dataclass(frozen=True)
class Engagement:
    """Opens or clicks of the scenario's messages."""

    human: int  # events by people
    machine: int  # events by proxies, scanners, prefetchers
    messages: int  # distinct messages with at least one human event


@dataclass(frozen=True)
class ScenarioReport:
    scenario: str
    runs_started: int
    runs_active: int
    runs_stopped: dict[str, int]
    messages_sent: int
    messages_awaiting_approval: int
    messages_drafted: int
    messages_suppressed: int
    messages_failed: int
    # Handed to the relay, the answer lost with a stopped worker: neither sent nor failed.
    messages_unconfirmed: int
    opens: Engagement
    clicks: Engagement
    orders_recovered: int
    revenue: Decimal
    discount_cost: Decimal


async def _engagement(session: AsyncSession, shop_id: int, scenario: str, kind: str) -> Engagement:
    human, machine, messages = (
        await session.execute(
            select(
                func.count().filter(MessageEvent.human.is_(True)),
                func.count().filter(MessageEvent.human.is_(False)),
                func.count(func.distinct(MessageEvent.message_id)).filter(
                    MessageEvent.human.is_(True)
                ),
            )
            .select_from(MessageEvent)
            .join(Message, Message.id == MessageEvent.message_id)
            .where(
                MessageEvent.shop_id == shop_id,
                MessageEvent.kind == kind,
                Message.shop_id == shop_id,
                Message.scenario == scenario,
            )
        )
    ).one()
    return Engagement(int(human), int(machine), int(messages))


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
    # What became of each message, from the outbox itself (not from timeline entries, which
    # record what was asked for).
    messages: dict[str, int] = dict(
        (
            await session.execute(
                select(Message.status, func.count())
                .where(Message.shop_id == shop_id, Message.scenario == scenario)
                .group_by(Message.status)
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
        messages_sent=messages.get("sent", 0),
        messages_awaiting_approval=messages.get("pending_approval", 0),
        messages_drafted=messages.get("draft", 0),
        messages_suppressed=messages.get("suppressed", 0),
        messages_failed=messages.get("failed", 0),
        messages_unconfirmed=messages.get("unconfirmed", 0),
        opens=await _engagement(session, shop_id, scenario, "open"),
        clicks=await _engagement(session, shop_id, scenario, "click"),
        orders_recovered=int(orders),
        revenue=Decimal(revenue),
        discount_cost=Decimal(cost),
    )
