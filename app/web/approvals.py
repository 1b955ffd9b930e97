"""Admin API for human approval of messages waiting in pending_approval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.messaging import approval
from app.models import Message
from app.queue.deferred import transaction
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep, RowIdPath
from app.web.messaging_deps import MessagingConfigDep

router = APIRouter(prefix="/api/approvals", tags=["approvals"])


class MessageOut(BaseModel):
    id: int
    scenario: str
    step: int
    customer_id: int | None
    locale: str
    status: str
    status_reason: str | None
    subject: str
    html: str
    text: str
    scheduled_at: datetime

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            scenario=m.scenario,
            step=m.step,
            customer_id=m.customer_id,
            locale=m.locale,
            status=m.status,
            status_reason=m.status_reason,
            subject=m.subject,
            html=m.html,
            text=m.text_body,
            scheduled_at=m.scheduled_at,
        )


class EditIn(BaseModel):
    model_config = ConfigDict(strict=True)

    subject: str | None = None
    html: str | None = None
    text: str | None = None


# At most this many messages named in one bulk approval or rejection.
MAX_BULK_IDS = 500


class ApproveAllIn(BaseModel):
    model_config = ConfigDict(strict=True)

    scenario: str | None = None
    # Only these messages (the admin's selection); left out: every waiting message.
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=MAX_BULK_IDS
    )


class RejectAllIn(ApproveAllIn):
    pass


@router.get("")
async def list_pending(
    shop: CurrentShop, resources: ResourcesDep, scenario: str | None = None
) -> list[MessageOut]:
    async with resources.sessions.begin() as session:
        messages = await approval.pending(session, shop.id, scenario=scenario)
        return [MessageOut.of(m) for m in messages]


@router.post("/approve-all")
async def approve_all(
    body: ApproveAllIn, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, int]:
    async with transaction(resources.sessions, resources.queue) as session:
        messages = await approval.approve_all(
            session, shop.id, datetime.now(UTC), scenario=body.scenario, ids=body.ids
        )
    return {"approved": len(messages)}


@router.post("/reject-all")
async def reject_all(
    body: RejectAllIn, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, int]:
    async with resources.sessions.begin() as session:
        messages = await approval.reject_all(session, shop.id, scenario=body.scenario, ids=body.ids)
    return {"rejected": len(messages)}


@router.post("/{message_id}/approve")
async def approve(message_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep) -> MessageOut:
    async with transaction(resources.sessions, resources.queue) as session:
        message = await approval.approve(session, shop.id, message_id, datetime.now(UTC))
    return MessageOut.of(message)


@router.post("/{message_id}/reject")
async def reject(message_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep) -> MessageOut:
    async with resources.sessions.begin() as session:
        message = await approval.reject(session, shop.id, message_id)
    return MessageOut.of(message)


@router.put("/{message_id}")
async def edit(
    message_id: RowIdPath,
    body: EditIn,
    shop: CurrentShop,
    resources: ResourcesDep,
    config: MessagingConfigDep,
) -> MessageOut:
    async with resources.sessions.begin() as session:
        message = await approval.edit(
            session,
            shop.id,
            message_id,
            datetime.now(UTC),
            subject=body.subject,
            html=body.html,
            text=body.text,
            config=config,
        )
    return MessageOut.of(message)
