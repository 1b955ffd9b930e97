"""Admin API over the outbox: every message with its status and the reason it is there (dry-run
drafts, suppressed ones and why, deferrals), its times and its rendered content. The shop is
the one the verified session token speaks for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.errors import InvalidRequest
from app.i18n import Text
from app.messaging.history import STATUSES, ListedMessage, list_messages
from app.web.auth import CurrentShop
from app.web.deps import BeforeIdQuery, ResourcesDep

router = APIRouter(prefix="/api/messages", tags=["messages"])


class OutboxMessageOut(BaseModel):
    id: int
    scenario: str
    step: int
    # What the message is about within its scenario (a cart's checkout, an order): the steps
    # of one subject belong together.
    subject_key: str
    customer_id: int | None
    customer_name: str | None
    to: str | None
    locale: str
    status: str
    # Why it is where it is: a suppression or deferral reason (code, or code:detail).
    status_reason: str | None
    mode: str
    transactional: bool
    subject: str
    html: str
    text: str
    requested_at: datetime
    scheduled_at: datetime
    sent_at: datetime | None
    approved_at: datetime | None
    edited_at: datetime | None

    @classmethod
    def of(cls, listed: ListedMessage) -> OutboxMessageOut:
        m = listed.message
        name = " ".join(p for p in (listed.customer_first_name, listed.customer_last_name) if p)
        return cls(
            id=m.id,
            scenario=m.scenario,
            step=m.step,
            subject_key=m.subject_key,
            customer_id=m.customer_id,
            customer_name=name or None,
            to=m.to_address,
            locale=m.locale,
            status=m.status,
            status_reason=m.status_reason,
            mode=m.mode,
            transactional=m.transactional,
            subject=m.subject,
            html=m.html,
            text=m.text_body,
            requested_at=m.requested_at,
            scheduled_at=m.scheduled_at,
            sent_at=m.sent_at,
            approved_at=m.approved_at,
            edited_at=m.edited_at,
        )


class OutboxPage(BaseModel):
    messages: list[OutboxMessageOut]
    # Pass as before_id for the next (older) page; null on the last one.
    next_before_id: int | None


class UnknownMessageStatus(InvalidRequest):
    pass


@router.get("")
async def get_messages(
    shop: CurrentShop,
    resources: ResourcesDep,
    status: str | None = None,
    scenario: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: BeforeIdQuery = None,
) -> OutboxPage:
    if status is not None and status not in STATUSES:
        known = ", ".join(STATUSES)
        raise UnknownMessageStatus(
            Text(
                en=f"There is no message status {status!r}: use one of {known}, "
                "or leave status out for every message.",
                fr=f"Le statut de message {status!r} n'existe pas : choisissez parmi {known}, "
                "ou omettez status pour voir tous les messages.",
            )
        )
    async with resources.sessions.begin() as session:
        found = await list_messages(
            session, shop.id, status=status, scenario=scenario, limit=limit, before_id=before_id
        )
    return OutboxPage(
        messages=[OutboxMessageOut.of(m) for m in found],
        next_before_id=found[-1].message.id if len(found) == limit else None,
    )
