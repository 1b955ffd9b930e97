"""Admin API for human approval of messages waiting in pending_approval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from app.messaging import approval
from app.messaging.structured import EmailFields
from app.models import Message
from app.queue.deferred import transaction
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep, RowIdPath
from app.web.messaging_deps import MessagingConfigDep
from app.web.rate_limits import limit_previews

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


class FieldsIn(BaseModel):
    """The simple form of an email: its words (limits checked with the merchant's words in
    templates.check_fields; the body's own cap is in app/web/body_limits.py)."""

    model_config = ConfigDict(strict=True)

    subject: str
    preheader: str = ""
    heading: str
    body: str
    button_label: str
    show_code: bool = False

    def fields(self) -> EmailFields:
        return EmailFields(
            subject=self.subject,
            preheader=self.preheader,
            heading=self.heading,
            body=self.body,
            button_label=self.button_label,
            show_code=self.show_code,
        )


class FieldsOut(BaseModel):
    subject: str
    preheader: str
    heading: str
    body: str
    button_label: str
    show_code: bool

    @classmethod
    def of(cls, fields: EmailFields) -> FieldsOut:
        return cls(**fields.as_json())


class FormOut(BaseModel):
    fields: FieldsOut
    # Whether the merchant already edited this message with the form.
    edited: bool
    # Edited as raw HTML instead: the form shows the template's words, and saving it
    # replaces that edit.
    edited_as_html: bool


class RenderedOut(BaseModel):
    subject: str
    html: str
    text: str


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


@router.get("/{message_id}/form")
async def edit_form(
    message_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep, config: MessagingConfigDep
) -> FormOut:
    """The held message's simple form, filled with its current words."""
    async with resources.sessions.begin() as session:
        fields = await approval.form(session, shop.id, message_id, config)
        message = await session.get(Message, message_id)
    edited = message is not None and message.edited_fields is not None
    as_html = message is not None and message.edited_at is not None and not edited
    return FormOut(fields=FieldsOut.of(fields), edited=edited, edited_as_html=as_html)


@router.post("/{message_id}/preview", dependencies=[Depends(limit_previews)])
async def preview_edit(
    message_id: RowIdPath,
    body: FieldsIn,
    shop: CurrentShop,
    resources: ResourcesDep,
    config: MessagingConfigDep,
) -> RenderedOut:
    """The held message as the form's fields would make it (the form's live preview)."""
    async with resources.sessions.begin() as session:
        rendered = await approval.preview_fields(
            session, shop.id, message_id, body.fields(), config
        )
    return RenderedOut(subject=rendered.subject, html=rendered.html, text=rendered.text)


@router.put("/{message_id}/fields")
async def edit_with_fields(
    message_id: RowIdPath,
    body: FieldsIn,
    shop: CurrentShop,
    resources: ResourcesDep,
    config: MessagingConfigDep,
) -> MessageOut:
    async with resources.sessions.begin() as session:
        message = await approval.edit_fields(
            session, shop.id, message_id, datetime.now(UTC), body.fields(), config
        )
    return MessageOut.of(message)
