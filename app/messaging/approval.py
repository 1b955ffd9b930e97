"""Human control over what goes out: messages of scenarios in approval mode wait in
`pending_approval` until the merchant approves (→ queued, still subject to consent and
pacing at send time), edits, or rejects them (→ suppressed, reason rejected_by_merchant).

An edit is either the simple form's fields (subject, heading, text, button label), rendered
through the very pipeline the scenario's own message went through (the shop's layout, the
code, the cart, the footer with the unsubscribe link), or, under "Advanced", the raw HTML and
text, which must keep the unsubscribe link. Either way the edit is what gets sent, and the
customer's timeline says the merchant edited it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidRequest
from app.i18n import Text
from app.messaging import templates
from app.messaging.config import MessagingConfig
from app.messaging.errors import MessageNotFound, MessageNotPending, MessageWithdrawn
from app.messaging.guards import Outcome, notify_send_outcome, outcome_of
from app.messaging.i18n import Locale
from app.messaging.outbox import Status, defer_send, send_context
from app.messaging.structured import EmailFields, compile_literal, fields_as_template
from app.messaging.templates import Rendered
from app.models import Customer, Message, Shop
from app.scenarios import timeline
from app.scenarios.labels import REASONS, reason_code

REJECTED = "rejected_by_merchant"
# The timeline's record of an edit, and its reason.
EDITED = "message_edited"
EDITED_BY_MERCHANT = "edited_by_merchant"


def _must_keep_link(part: str, link: str) -> Text:
    if part == "html":
        return Text(
            en=f"The HTML body must keep the unsubscribe link ({link}): put it back, then save.",
            fr=f"Le corps HTML doit conserver le lien de désabonnement ({link}) : remettez-le, "
            "puis enregistrez.",
        )
    return Text(
        en=f"The plain-text body must keep the unsubscribe link ({link}): put it back, then save.",
        fr=f"Le corps texte doit conserver le lien de désabonnement ({link}) : remettez-le, "
        "puis enregistrez.",
    )


async def pending(
    session: AsyncSession, shop_id: int, *, scenario: str | None = None, limit: int = 200
) -> Sequence[Message]:
    query = select(Message).where(
        Message.shop_id == shop_id, Message.status == Status.PENDING_APPROVAL
    )
    if scenario is not None:
        query = query.where(Message.scenario == scenario)
    return (await session.scalars(query.order_by(Message.scheduled_at).limit(limit))).all()


async def withdraw_pending(
    session: AsyncSession,
    *,
    shop_id: int,
    scenario: str,
    subject_key: str,
    reason: str,
    now: datetime,
) -> int:
    """A sequence ended by a fact (the customer ordered, unsubscribed…): its emails still
    waiting for approval leave the queue as suppressed for that reason, each on the
    customer's timeline, so the merchant is never asked to approve an email that would no
    longer go (the check as it leaves would suppress it anyway). The caller holds the run's
    lock; returns how many."""
    withdrawn = (
        await session.scalars(
            update(Message)
            .where(
                Message.shop_id == shop_id,
                Message.scenario == scenario,
                Message.subject_key == subject_key,
                Message.status == Status.PENDING_APPROVAL,
            )
            .values(status=Status.SUPPRESSED, status_reason=reason)
            .returning(Message)
            .execution_options(synchronize_session=False)
        )
    ).all()
    for message in withdrawn:
        await notify_send_outcome(
            session, outcome_of(message, Outcome.SUPPRESSED, now, reason=reason)
        )
    return len(withdrawn)


async def withdraw_held_for_shop(
    session: AsyncSession, *, shop_id: int, reason: str, now: datetime, scenario: str | None
) -> int:
    """The shop's sequences stop at once (uninstall; the merchant pauses a scenario): every
    email of theirs still waiting for approval (of that scenario, or all) leaves the queue as
    suppressed for that reason, each on the customer's timeline, so that approving it later,
    once the scenario is back on or the shop reinstalled, cannot send it. This takes the held
    emails of sequences that had already taken their last step too: the pause or the
    uninstall is the merchant's word on them as well. Returns how many."""
    statement = (
        update(Message)
        .where(Message.shop_id == shop_id, Message.status == Status.PENDING_APPROVAL)
        .values(status=Status.SUPPRESSED, status_reason=reason)
        .returning(Message)
        .execution_options(synchronize_session=False)
    )
    if scenario is not None:
        statement = statement.where(Message.scenario == scenario)
    withdrawn = (await session.scalars(statement)).all()
    for message in withdrawn:
        await notify_send_outcome(
            session, outcome_of(message, Outcome.SUPPRESSED, now, reason=reason)
        )
    return len(withdrawn)


async def _pending_one(session: AsyncSession, shop_id: int, message_id: int) -> Message:
    """The waiting message, locked: this click decides it."""
    query = select(Message).where(Message.shop_id == shop_id, Message.id == message_id)
    return _still_pending(await session.scalar(query.with_for_update()), message_id)


async def _pending_to_read(session: AsyncSession, shop_id: int, message_id: int) -> Message:
    """The waiting message, read only (a form to fill, a preview): nothing to lock."""
    query = select(Message).where(Message.shop_id == shop_id, Message.id == message_id)
    return _still_pending(await session.scalar(query), message_id)


def _still_pending(message: Message | None, message_id: int) -> Message:
    if message is None:
        raise MessageNotFound(
            Text(
                en=f"Message {message_id} does not exist in this shop: reload the approvals list.",
                fr=f"Le message {message_id} n'existe pas dans cette boutique : rechargez la "
                "liste des validations.",
            )
        )
    if _withdrawn(message) and message.status_reason is not None:
        raise _withdrawn_error(message.id, message.status_reason)
    if message.status != Status.PENDING_APPROVAL:
        raise MessageNotPending(
            Text(
                en=f"Message {message_id} is {message.status}, no longer waiting for approval: "
                "reload the approvals list.",
                fr=f"Le message {message_id} est au statut {message.status} et n'attend plus "
                "de validation : rechargez la liste des validations.",
            )
        )
    return message


def _withdrawn(message: Message) -> bool:
    """Taken out of the queue by its sequence's end, not decided by the merchant: suppressed
    without having been approved, for a reason other than a rejection."""
    return (
        message.status == Status.SUPPRESSED
        and message.approved_at is None
        and message.status_reason not in (None, REJECTED)
    )


def _withdrawn_error(message_id: int, reason: str) -> MessageWithdrawn:
    label = REASONS.get(reason_code(reason))
    why = (
        Text(en=f" ({label.en})", fr=f" ({label.fr})") if label is not None else Text(en="", fr="")
    )
    return MessageWithdrawn(
        Text(
            en=f"Message {message_id} was withdrawn from the approval queue when its sequence "
            f"stopped{why.en}: it can no longer be approved, edited or sent. Reload the "
            "approvals list.",
            fr=f"Le message {message_id} a été retiré de la file de validation à l'arrêt de sa "
            f"séquence{why.fr} : il ne peut plus être validé, modifié ni envoyé. Rechargez la "
            "liste des validations.",
        ),
        reason=reason,
    )


def _approve(message: Message, now: datetime) -> None:
    message.status, message.status_reason, message.approved_at = Status.QUEUED, None, now
    # Approving late sends now (pacing still applies), not at the long-gone planned time.
    message.scheduled_at = max(message.scheduled_at, now)


async def approve(session: AsyncSession, shop_id: int, message_id: int, now: datetime) -> Message:
    message = await _pending_one(session, shop_id, message_id)
    _approve(message, now)
    defer_send(session, message)
    return message


async def reject(session: AsyncSession, shop_id: int, message_id: int) -> Message:
    message = await _pending_one(session, shop_id, message_id)
    await _reject(session, message)
    return message


async def _reject(session: AsyncSession, message: Message) -> None:
    message.status, message.status_reason = Status.SUPPRESSED, REJECTED
    # The scenario writes it on the customer's timeline.
    await notify_send_outcome(
        session, outcome_of(message, Outcome.REJECTED, datetime.now(UTC), reason=REJECTED)
    )


async def _all_pending_locked(
    session: AsyncSession, shop_id: int, scenario: str | None, ids: Sequence[int] | None = None
) -> list[Message]:
    # skip_locked: a message a concurrent approve/reject/edit holds is that click's to decide.
    query = (
        select(Message)
        .where(Message.shop_id == shop_id, Message.status == Status.PENDING_APPROVAL)
        .with_for_update(skip_locked=True)
    )
    if scenario is not None:
        query = query.where(Message.scenario == scenario)
    if ids is not None:
        query = query.where(Message.id.in_(ids))
    return list((await session.scalars(query.order_by(Message.id))).all())


async def approve_all(
    session: AsyncSession,
    shop_id: int,
    now: datetime,
    *,
    scenario: str | None = None,
    ids: Sequence[int] | None = None,
) -> list[Message]:
    """Every message still waiting (of one scenario, or those of `ids`, or all) is queued to
    go; one no longer waiting (sent, rejected, another click's) is left as it is."""
    messages = await _all_pending_locked(session, shop_id, scenario, ids)
    for message in messages:
        _approve(message, now)
        defer_send(session, message)
    return messages


async def reject_all(
    session: AsyncSession,
    shop_id: int,
    *,
    scenario: str | None = None,
    ids: Sequence[int] | None = None,
) -> list[Message]:
    """Every message still waiting (of one scenario, or those of `ids`, or all) is
    suppressed, kept with the reason rejected_by_merchant; none of them can be sent
    afterwards."""
    messages = await _all_pending_locked(session, shop_id, scenario, ids)
    for message in messages:
        await _reject(session, message)
    return messages


async def edit(
    session: AsyncSession,
    shop_id: int,
    message_id: int,
    now: datetime,
    *,
    subject: str | None,
    html: str | None,
    text: str | None,
    config: MessagingConfig,
) -> Message:
    """The merchant rewrites this one message. The unsubscribe link must stay in both parts."""
    message = await _pending_one(session, shop_id, message_id)
    link = (
        config.unsubscribe_url(message.shop_id, message.customer_id, message.locale)
        if message.customer_id is not None
        else None
    )
    for part, value in (("html", html), ("text", text)):
        if value is not None and link and link not in value:
            raise InvalidRequest(_must_keep_link(part, link))
    if subject is not None:
        if not subject.strip():
            raise InvalidRequest(
                Text(
                    en="The subject cannot be empty: write one before saving.",
                    fr="L'objet ne peut pas être vide : saisissez-en un avant d'enregistrer.",
                )
            )
        message.subject = " ".join(subject.split())
    if html is not None:
        message.html = html
    if text is not None:
        message.text_body = text
    # Raw HTML is no longer what the form's fields say.
    message.edited_fields = None
    await _edited(session, message, now, how="html")
    return message


def _locale(message: Message) -> Locale:
    return "fr" if message.locale == "fr" else "en"


async def _context(
    session: AsyncSession, config: MessagingConfig, message: Message
) -> dict[str, object]:
    shop = await session.get(Shop, message.shop_id)
    customer = (
        await session.get(Customer, message.customer_id)
        if message.customer_id is not None
        else None
    )
    if shop is None or customer is None:
        raise InvalidRequest(
            Text(
                en="This message's customer no longer exists: reject it rather than edit it.",
                fr="Le client de ce message n'existe plus : refusez-le plutôt que de le modifier.",
            )
        )
    return send_context(config, shop, customer, dict(message.context), _locale(message))


async def form(
    session: AsyncSession, shop_id: int, message_id: int, config: MessagingConfig
) -> EmailFields:
    """The simple form of a held message: the fields it was edited with, else the fields of
    the template that made it (the shop's own or Boomerang's) in this shopper's words.
    NoSimpleForm when its template was written by hand or its step has no fields."""
    message = await _pending_to_read(session, shop_id, message_id)
    if message.edited_fields is not None:
        return EmailFields.from_json(message.edited_fields)
    locale = _locale(message)
    fields = await templates.template_fields(
        session, shop_id, message.template, message.step, locale
    )
    frame = templates.structured_default(session, message.template, message.step, locale).frame
    return await templates.render_fields_off_loop(
        fields_as_template(fields, frame), await _context(session, config, message), locale
    )


async def _render_fields(
    session: AsyncSession, config: MessagingConfig, message: Message, fields: EmailFields
) -> Rendered:
    locale = _locale(message)
    if not fields.subject.strip():
        raise InvalidRequest(
            Text(
                en="The subject cannot be empty: write one before saving.",
                fr="L'objet ne peut pas être vide : saisissez-en un avant d'enregistrer.",
            )
        )
    templates.check_fields(fields)
    frame = templates.structured_default(session, message.template, message.step, locale).frame
    source = compile_literal(fields, frame, locale)
    return await templates.render_off_loop(source, await _context(session, config, message), locale)


async def preview_fields(
    session: AsyncSession,
    shop_id: int,
    message_id: int,
    fields: EmailFields,
    config: MessagingConfig,
) -> Rendered:
    """The held message as these fields would make it; nothing is stored."""
    message = await _pending_to_read(session, shop_id, message_id)
    return await _render_fields(session, config, message, fields)


async def edit_fields(
    session: AsyncSession,
    shop_id: int,
    message_id: int,
    now: datetime,
    fields: EmailFields,
    config: MessagingConfig,
) -> Message:
    """The merchant rewrites a held message through the simple form: rendered as the
    scenario's own message would be, stored, and what will be sent once approved."""
    message = await _pending_one(session, shop_id, message_id)
    rendered = await _render_fields(session, config, message, fields)
    message.subject, message.html, message.text_body = (
        rendered.subject,
        rendered.html,
        rendered.text,
    )
    message.edited_fields = fields.as_json()
    await _edited(session, message, now, how="fields")
    return message


async def _edited(session: AsyncSession, message: Message, now: datetime, *, how: str) -> None:
    message.edited_at = now
    await timeline.record(
        session,
        shop_id=message.shop_id,
        scenario=message.scenario,
        kind=EDITED,
        reason=EDITED_BY_MERCHANT,
        customer_id=message.customer_id,
        step=message.step,
        at=now,
        message_id=message.id,
        how=how,
    )
