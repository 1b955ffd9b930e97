"""What the automations hold on a customer: their emails and what happened to them (opens,
clicks, bounces, the mail server's answers), suppressions, cart sequences and timeline, the
codes made for them, and the raw webhook bodies that named them. Exported on a data request;
erased on redaction (amounts, codes and decisions stay for the merchant's reports, without who
they were about)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    cast,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.commerce import customer_ids_of, row_as_dict
from app.compliance.registry import DataSubject, erases, exports, rows_changed
from app.models import (
    DiscountCode,
    EmailSuppression,
    Message,
    MessageEvent,
    ScenarioRun,
    TimelineEntry,
    WebhookEvent,
    WebhookEventStatus,
)

_REDACTED_BODY = '{"redacted": true}'


def _by_customer_or_email(
    customer_id: Any, email_column: Any, subject: DataSubject
) -> ColumnElement[bool]:
    match: list[ColumnElement[bool]] = [customer_id.in_(customer_ids_of(subject))]
    if subject.email:
        match.append(func.lower(email_column) == subject.email.lower())
    return or_(*match)


def _messages(subject: DataSubject) -> ColumnElement[bool]:
    return (Message.shop_id == subject.shop_id) & _by_customer_or_email(
        Message.customer_id, Message.to_address, subject
    )


def _message_events(subject: DataSubject) -> ColumnElement[bool]:
    return (MessageEvent.shop_id == subject.shop_id) & MessageEvent.message_id.in_(
        select(Message.id).where(_messages(subject)).scalar_subquery()
    )


def _runs(subject: DataSubject) -> ColumnElement[bool]:
    return (ScenarioRun.shop_id == subject.shop_id) & _by_customer_or_email(
        ScenarioRun.customer_id, ScenarioRun.email, subject
    )


def _timeline(subject: DataSubject) -> ColumnElement[bool]:
    """The customer's entries, and those of their cart sequences (a guest checkout's run has
    no customer, only the address)."""
    return (TimelineEntry.shop_id == subject.shop_id) & or_(
        TimelineEntry.customer_id.in_(customer_ids_of(subject)),
        TimelineEntry.run_id.in_(select(ScenarioRun.id).where(_runs(subject)).scalar_subquery()),
    )


def _codes(subject: DataSubject) -> ColumnElement[bool]:
    return (DiscountCode.shop_id == subject.shop_id) & _by_customer_or_email(
        DiscountCode.customer_id, DiscountCode.email, subject
    )


def _suppressions(subject: DataSubject) -> ColumnElement[bool]:
    return (EmailSuppression.shop_id == subject.shop_id) & _by_customer_or_email(
        EmailSuppression.customer_id, EmailSuppression.address, subject
    )


def _webhook_bodies(subject: DataSubject) -> ColumnElement[bool] | None:
    """Handled deliveries whose raw body names the customer (by Shopify id or email). Events
    still waiting to be processed keep their body: the redaction is itself a later delivery."""
    needles: list[ColumnElement[bool]] = []
    if subject.customer_shopify_id is not None:
        needles.append(WebhookEvent.body.regexp_match(rf"\m{subject.customer_shopify_id}\M"))
    if subject.email:
        needles.append(WebhookEvent.body.icontains(subject.email, autoescape=True))
    if not needles:
        return None
    return (
        (WebhookEvent.shop_id == subject.shop_id)
        & WebhookEvent.status.in_((WebhookEventStatus.PROCESSED, WebhookEventStatus.FAILED))
        & or_(*needles)
    )


@exports("messages")
async def export_messages(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Message).where(_messages(subject)).order_by(Message.id))
    return [row_as_dict(r) for r in rows]


@exports("message_events")
async def export_message_events(
    session: AsyncSession, subject: DataSubject
) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(MessageEvent).where(_message_events(subject)).order_by(MessageEvent.id)
    )
    return [row_as_dict(r) for r in rows]


@exports("cart_sequences")
async def export_runs(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(select(ScenarioRun).where(_runs(subject)).order_by(ScenarioRun.id))
    return [row_as_dict(r) for r in rows]


@exports("timeline")
async def export_timeline(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(TimelineEntry).where(_timeline(subject)).order_by(TimelineEntry.id)
    )
    return [row_as_dict(r) for r in rows]


@exports("discount_codes")
async def export_codes(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(DiscountCode).where(_codes(subject)).order_by(DiscountCode.id)
    )
    return [row_as_dict(r) for r in rows]


@exports("email_suppressions")
async def export_suppressions(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(select(EmailSuppression).where(_suppressions(subject)))
    return [row_as_dict(r) for r in rows]


# Before the messages: their events are found through the messages' addresses.
@erases("message_events")
async def erase_message_events(session: AsyncSession, subject: DataSubject) -> int:
    """What the shopper's mail client or a bounce told us: the browser, the link followed, the
    server's words. Kind and time stay (open and click rates)."""
    return await rows_changed(
        session,
        update(MessageEvent)
        .where(_message_events(subject))
        .values(user_agent=None, url=None, detail=None),
    )


@erases("messages")
async def erase_messages(session: AsyncSession, subject: DataSubject) -> int:
    """The address, the rendered email and the mail server's answer go; a status reason keeps
    its code (`smtp: 550 <john@…> unknown` becomes `smtp`) so the merchant's reports still say
    why a message stopped."""
    return await rows_changed(
        session,
        update(Message)
        .where(_messages(subject))
        .values(
            to_address=None,
            subject="",
            html="",
            text_body="",
            context={},
            provider_response=None,
            status_reason=func.nullif(func.split_part(Message.status_reason, ":", 1), ""),
            # The merchant's rewrite of this customer's email (greeting, name, words to them).
            edited_fields=None,
        ),
    )


# Before the cart sequences: a guest's entries are found through their run's address.
@erases("timeline")
async def erase_timeline(session: AsyncSession, subject: DataSubject) -> int:
    """The decisions stay (kind, reason code, step, amounts); a send's status reason keeps its
    code, as the messages' own does, and any other detail that names the address goes."""
    detail: Any = _status_reason_trimmed(TimelineEntry.detail)
    if subject.email:
        detail = _without_values_naming(detail, subject.email)
    return await rows_changed(
        session, update(TimelineEntry).where(_timeline(subject)).values(detail=detail)
    )


def _status_reason_trimmed(detail: Any) -> Any:
    """detail["status_reason"] cut to its code: the engine and the loyalty history copy a
    send's reason there (`smtp: 550 5.1.1 <john@…>: Recipient address rejected`)."""
    code = func.nullif(func.split_part(detail["status_reason"].astext, ":", 1), "")
    return func.jsonb_set(
        detail,
        literal(["status_reason"], ARRAY(Text)),
        func.coalesce(func.to_jsonb(code), cast(literal("null"), JSONB)),
        false(),  # entries without a status reason stay without one
    )


def _without_values_naming(detail: Any, email: str) -> Any:
    """`detail` without the keys whose value names `email` (any other free text that may
    quote the address: a mail server's or Shopify's words)."""
    pair = func.jsonb_each(detail).table_valued("key", "value").alias("pair")
    return (
        select(
            func.coalesce(
                func.jsonb_object_agg(pair.c.key, pair.c.value), cast(literal("{}"), JSONB)
            )
        )
        .where(~cast(pair.c.value, Text).icontains(email, autoescape=True))
        .scalar_subquery()
    )


@erases("cart_sequences")
async def erase_runs(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(ScenarioRun).where(_runs(subject)).values(email=None),
    )


@erases("discount_codes")
async def erase_codes(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(DiscountCode).where(_codes(subject)).values(email=None, customer_gid=None),
    )


@erases("email_suppressions")
async def erase_suppressions(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        delete(EmailSuppression).where(_suppressions(subject)),
    )


@erases("webhook_bodies")
async def erase_webhook_bodies(session: AsyncSession, subject: DataSubject) -> int:
    where = _webhook_bodies(subject)
    if where is None:
        return 0
    return await rows_changed(
        session,
        update(WebhookEvent).where(where).values(body=_REDACTED_BODY),
    )


async def forget_delivery_body(session: AsyncSession, event_row_id: int, body: str) -> None:
    """Replace the stored body of the delivery being processed: one that named a customer
    already redacted (it arrived or was processed after the redaction), or the redaction
    request itself, which carries the email and phone it asks us to forget."""
    await session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == event_row_id)
        .values(body=body)
        .execution_options(synchronize_session=False)
    )


async def forget_late_delivery_body(session: AsyncSession, event_row_id: int) -> None:
    await forget_delivery_body(session, event_row_id, _REDACTED_BODY)
