"""The customer timeline: every automated decision with the reason it was taken."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.guards import SendOutcome
from app.models import TimelineEntry
from app.scenarios.labels import reason_code


async def record(
    session: AsyncSession,
    *,
    shop_id: int,
    scenario: str,
    kind: str,
    reason: str,
    customer_id: int | None = None,
    run_id: int | None = None,
    step: int | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> None:
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "customer_id": customer_id,
        "run_id": run_id,
        "scenario": scenario,
        "kind": kind,
        "step": step,
        "reason": reason,
        "detail": detail,
    }
    if at is not None:
        values["at"] = at
    await session.execute(insert(TimelineEntry).values(**values))


async def record_send_outcome(
    session: AsyncSession,
    scenario: str,
    outcome: SendOutcome,
    *,
    reason: str | None = None,
    customer_id: int | None = None,
    run_id: int | None = None,
) -> None:
    """What became of one email (sent, held, suppressed and why…) on the customer's timeline:
    `message_{kind}`, its step and reason code, the outbox's own reason and when a held one
    is due. `reason` (default: the outbox's, else the outcome's kind) names it."""
    await record(
        session,
        shop_id=outcome.shop_id,
        customer_id=outcome.customer_id or customer_id,
        run_id=run_id,
        scenario=scenario,
        kind=f"message_{outcome.kind}",
        step=outcome.step,
        reason=reason_code(reason or outcome.reason or outcome.kind),
        at=outcome.at,
        message_id=outcome.message_id,
        status_reason=outcome.reason,
        until=outcome.until.isoformat() if outcome.until else None,
    )


async def recorded(
    session: AsyncSession, *, shop_id: int, run_id: int, kind: str, step: int | None
) -> bool:
    """Whether the run's timeline already says `kind` for this step (through the
    (shop_id, run_id) index: a run has a handful of entries)."""
    found = await session.scalar(
        select(
            exists().where(
                TimelineEntry.shop_id == shop_id,
                TimelineEntry.run_id == run_id,
                TimelineEntry.kind == kind,
                TimelineEntry.step == step,
            )
        )
    )
    return bool(found)


async def for_customer(
    session: AsyncSession, shop_id: int, customer_id: int, limit: int = 200
) -> list[TimelineEntry]:
    rows = await session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.shop_id == shop_id, TimelineEntry.customer_id == customer_id)
        .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
        .limit(limit)
    )
    return list(rows)
