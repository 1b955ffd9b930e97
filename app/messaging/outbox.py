"""The outbox: the one API scenarios call to speak to a shopper. A message is rendered and
stored once per natural key (shop, scenario, subject, step); a replay gets the same row back.
Whether it is sent, held for approval, kept as a draft or suppressed is decided here and
again at send time (consent or controls may change in between)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging import templates
from app.messaging.config import MessagingConfig
from app.messaging.consent import consent_block_reason, suppression_for
from app.messaging.controls import DeliveryMode, scenario_delivery, strictest
from app.messaging.errors import TemplateInvalid
from app.messaging.i18n import Locale, resolve_locale, t
from app.models import Customer, Message, MessageEvent, Shop
from app.queue.deferred import Job, defer

log = structlog.get_logger(__name__)


class Status:
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    # Handed to the relay by a worker that died before it could record the answer: it may
    # well have left (most do), so it is never sent again, counted apart from failures, and
    # counts for attribution.
    UNCONFIRMED = "unconfirmed"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


# The kind of the message event that records a merchant template replaced by the default.
TEMPLATE_FALLBACK_EVENT = "template_error"


def shop_context(shop: Shop) -> dict[str, Any]:
    """The shop's own template variables, as every email (and every preview) gets them."""
    return {
        "shop_name": shop.name or shop.domain,
        "shop_url": f"https://{shop.domain}",
        "currency": shop.currency,
        "timezone": shop.timezone,
        # The postal address anti-spam law asks every marketing email to carry (the layout's
        # footer shows it), and the shop's branding (app/messaging/sender.py).
        "shop_address": ", ".join((shop.postal_address or "").splitlines()) or None,
        "logo_url": shop.logo_url,
        "brand_color": shop.brand_color,
    }


def base_context(shop: Shop, customer: Customer) -> dict[str, Any]:
    return {
        "first_name": customer.first_name or "",
        "last_name": customer.last_name or "",
        **shop_context(shop),
    }


def send_context(
    config: MessagingConfig,
    shop: Shop,
    customer: Customer,
    context: dict[str, Any],
    locale: Locale,
) -> dict[str, Any]:
    """Everything a message's template renders with: the shop's and the shopper's values,
    the scenario's context and the shopper's own unsubscribe link. The same for a message
    rendered when the scenario asks for it and when the merchant edits it."""
    return {
        **base_context(shop, customer),
        **context,
        "unsubscribe_url": config.unsubscribe_url(shop.id, customer.id, locale),
    }


async def enqueue_message(
    session: AsyncSession,
    config: MessagingConfig,
    *,
    shop: Shop,
    customer: Customer,
    scenario: str,
    step: int,
    subject_key: str,
    context: dict[str, Any],
    scheduled_at: datetime,
    # When two are due for one shopper, the higher one goes first (the scenario's own).
    priority: int = 0,
    transactional: bool = False,
    mode: DeliveryMode | None = None,
    template: str | None = None,
) -> Message:
    """Store the message for (shop, scenario, subject_key, step) unless it exists; return it.

    `context` must be JSON-serialisable (money as strings). `template` names the template's
    scenario when it differs from `scenario`. `mode` lets the scenario ask for something
    stricter than the merchant's setting; the stricter one wins. `transactional` is ORed with
    the merchant's per-scenario choice. Does not commit; a queued message's send job is
    deferred to the commit (the sweeper picks it up anyway)."""
    existing = await _by_natural_key(session, shop.id, scenario, subject_key, step)
    if existing is not None:
        return existing

    delivery = await scenario_delivery(session, shop.id, scenario)
    effective_mode = strictest(mode, delivery.mode)
    is_transactional = transactional or delivery.transactional
    locale = resolve_locale(context.get("locale") or customer.locale, shop.locale)
    full_context = send_context(config, shop, customer, context, locale)
    if effective_mode is DeliveryMode.DRY_RUN:
        full_context.update(dry_run_discount(context, locale, scheduled_at))
    rendering = await templates.render_for_send(
        session, shop.id, template or scenario, step, locale, full_context
    )
    rendered = rendering.rendered

    suppression = await suppression_for(session, shop.id, customer.email)
    blocked = consent_block_reason(customer, suppression, transactional=is_transactional)
    status, reason = _initial_status(effective_mode, blocked)

    statement = (
        insert(Message)
        .values(
            shop_id=shop.id,
            customer_id=customer.id,
            scenario=scenario,
            step=step,
            subject_key=subject_key,
            template=template or scenario,
            context=context,
            status=status,
            status_reason=reason,
            mode=effective_mode.value,
            transactional=is_transactional,
            priority=priority,
            to_address=customer.email,
            locale=locale,
            subject=rendered.subject,
            html=rendered.html,
            text_body=rendered.text,
            scheduled_at=scheduled_at,
            requested_at=scheduled_at,
            attempts=0,
        )
        .on_conflict_do_nothing(constraint="uq_messages_shop_id_scenario_subject_key_step")
        # The row as stored (defaults included), in the session: no second read.
        .returning(Message)
    )
    message = await session.scalar(statement)
    if message is None:
        # A concurrent replay inserted it first: the row exists, as that one wrote it.
        message = await _by_natural_key(session, shop.id, scenario, subject_key, step)
        if message is None:  # pragma: no cover - the unique key guarantees it
            raise RuntimeError("message vanished right after its insert")
    elif rendering.fallback is not None:
        _record_template_fallback(session, shop.id, message.id, rendering.fallback)
    defer_send(session, message)
    return message


def dry_run_discount(
    context: dict[str, Any], locale: Locale, scheduled_at: datetime
) -> dict[str, Any]:
    """A dry run creates no code, yet must show the very email live would send: where the
    step carries a discount (the scenario says its kind), a labelled placeholder stands in
    for the code, and its end is when a code made now would end. The stored context keeps
    no placeholder: nothing downstream mistakes it for a code."""
    if not context.get("discount_kind") or context.get("discount_code"):
        return {}
    placeholder: dict[str, Any] = {"discount_code": t("dry_run.code_placeholder", locale)}
    hours = context.get("discount_valid_hours")
    if isinstance(hours, int) and hours > 0:
        placeholder["discount_expires_at"] = (scheduled_at + timedelta(hours=hours)).isoformat()
    return placeholder


def _record_template_fallback(
    session: AsyncSession, shop_id: int, message_id: int, error: TemplateInvalid
) -> None:
    """The message went out in the default wording: say so on the message, for the record."""
    log.warning(
        "merchant template failed at send time; default wording used",
        shop_id=shop_id,
        message_id=message_id,
        part=error.part,
        line=error.line,
    )
    session.add(
        MessageEvent(
            shop_id=shop_id,
            message_id=message_id,
            kind=TEMPLATE_FALLBACK_EVENT,
            human=False,
            machine_reason=None,
            url=None,
            user_agent=None,
            detail=error.detail[:2000],
            occurred_at=datetime.now(UTC),
        )
    )


def _initial_status(mode: DeliveryMode, blocked: str | None) -> tuple[str, str | None]:
    if mode is DeliveryMode.PAUSED:
        return Status.SUPPRESSED, "scenario_paused"
    if blocked is not None:
        return Status.SUPPRESSED, blocked
    if mode is DeliveryMode.DRY_RUN:
        return Status.DRAFT, "dry_run"
    if mode is DeliveryMode.APPROVAL:
        return Status.PENDING_APPROVAL, None
    return Status.QUEUED, None


async def _by_natural_key(
    session: AsyncSession, shop_id: int, scenario: str, subject_key: str, step: int
) -> Message | None:
    return await session.scalar(
        select(Message)
        .where(
            Message.shop_id == shop_id,
            Message.scenario == scenario,
            Message.subject_key == subject_key,
            Message.step == step,
        )
        .execution_options(populate_existing=True)
    )


SEND_JOB = "send_message"


def send_job_id(message_id: int, scheduled_at: datetime) -> str:
    # The schedule is part of the id so a deferred message can be queued again later.
    return f"{SEND_JOB}:{message_id}:{int(scheduled_at.timestamp())}"


def send_job(message: Message) -> Job:
    return Job(
        SEND_JOB,
        (message.id,),
        send_job_id(message.id, message.scheduled_at),
        defer_until=message.scheduled_at,
    )


def defer_send(session: AsyncSession, message: Message) -> None:
    """Queue the send job of a queued message once the transaction commits (Redis being
    down loses nothing: the message is in the outbox and the sweeper queues it)."""
    if message.status == Status.QUEUED:
        defer(session, send_job(message))


async def due_messages(
    session: AsyncSession, now: datetime, *, limit: int = 500
) -> list[tuple[int, datetime]]:
    """Queued messages whose time has come, oldest first, plus any stuck in `sending` for
    long enough that their worker must have died (the send job decides what to do)."""
    rows = await session.execute(
        select(Message.id, Message.scheduled_at)
        .where(Message.status == Status.QUEUED, Message.scheduled_at <= now)
        .order_by(Message.scheduled_at)
        .limit(limit)
    )
    stuck = await session.execute(
        select(Message.id, Message.sending_started_at)
        .where(
            Message.status == Status.SENDING,
            Message.sending_started_at < now - timedelta(minutes=10),
        )
        .limit(limit)
    )
    result = [(r[0], r[1]) for r in rows]
    result += [(r[0], r[1]) for r in stuck if r[1] is not None]
    return result
