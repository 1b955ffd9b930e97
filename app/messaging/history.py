"""What the outbox holds, for the merchant's eyes: messages by status and scenario, newest
first, paged by id, each with the customer it is for."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.outbox import Status
from app.models import Customer, Message

STATUSES: tuple[str, ...] = (
    Status.DRAFT,
    Status.PENDING_APPROVAL,
    Status.QUEUED,
    Status.SENDING,
    Status.SENT,
    Status.UNCONFIRMED,
    Status.FAILED,
    Status.SUPPRESSED,
)


@dataclass(frozen=True)
class ListedMessage:
    message: Message
    customer_first_name: str | None
    customer_last_name: str | None


async def list_messages(
    session: AsyncSession,
    shop_id: int,
    *,
    status: str | None = None,
    scenario: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[ListedMessage]:
    query = (
        select(Message, Customer.first_name, Customer.last_name)
        .outerjoin(Customer, Customer.id == Message.customer_id)
        .where(Message.shop_id == shop_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(Message.status == status)
    if scenario is not None:
        query = query.where(Message.scenario == scenario)
    if before_id is not None:
        query = query.where(Message.id < before_id)
    rows = await session.execute(query)
    return [ListedMessage(m, first, last) for m, first, last in rows.all()]
