"""Sending one outbox message, exactly once, past every guard rail.

Three short transactions around the SMTP hand-off:
1. claim: lock the row, re-check controls, consent, the scenario's guard (which may drop the
   message, or hold it when it cannot decide yet: SendLater), the order of a run's steps (a
   step's email waits until the one before it is settled), quiet hours, priority and the
   frequency cap (under a lock on the customer row, so two sends to one shopper cannot both
   pass the cap); then generate the Message-ID and commit status `sending`.
2. hand the email to the transport (no transaction open).
3. record the answer: `sent`, back to `queued` with backoff (4xx), or `failed` (5xx). When
   the relay itself is unusable (credentials refused, STARTTLS missing, refused connection),
   no message is at fault: this one and every other due message are held, queued, for a
   while, with the relay's reason, and the attempt does not count against the message.

Every transaction that changes a message takes its row locks in one order: the customer, then
what the message is about (the scenario's run, through its subject lock), then the message,
each FOR NO KEY UPDATE so foreign-key checks (FOR KEY SHARE) never wait on them. The scenario
is told each outcome (sent, suppressed, deferred, failed) in the transaction recording it.

A crash between 2 and 3 leaves `sending` with a Message-ID: the email may or may not have
been accepted, and nothing we own can tell. We never send it again (a duplicate reminder is
worse for the shopper than a lost one): once the row has been `sending` for longer than any
hand-off can take, it is marked `unconfirmed` (reason `delivery_unconfirmed`) with the
Message-ID, which the relay's logs can be searched for. Most such messages did reach the
relay, so it is not a failure: it is counted apart in the reports, still counts towards the
cap and for attribution, and settles the step for the next one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.pools import code_withdrawn
from app.messaging.config import MessagingConfig
from app.messaging.consent import consent_block_reason, suppress_address, suppression_for
from app.messaging.controls import DeliveryMode, scenario_delivery, sending_policy
from app.messaging.guards import (
    Outcome,
    SendLater,
    SendOutcome,
    lock_subject,
    notify_send_outcome,
    outcome_of,
    scenario_block_reason,
)
from app.messaging.mime import build_email, new_message_id
from app.messaging.outbox import Status
from app.messaging.pacing import (
    WEEK,
    frequency_cap_frees_at,
    outranked_by,
    quiet_hours_end,
    shop_zone,
)
from app.messaging.sender import Sender, sender_of
from app.messaging.tracking import shop_link_hosts
from app.messaging.transport import (
    PermanentSendError,
    RelayUnavailable,
    TransientSendError,
    Transport,
)
from app.models import Customer, Message, Shop

log = structlog.get_logger(__name__)

# Longer than the SMTP timeout: a `sending` row younger than this may still be in flight.
IN_FLIGHT_GRACE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
# A marketing message pushed back by the cap beyond this long after it was due is dropped:
# a cart reminder three days late does more harm than good.
MAX_CAP_DEFERRAL = timedelta(hours=72)
SHOP_PAUSED_RECHECK = timedelta(minutes=15)
# A message outranked by another due for the same shopper looks again this soon: the winner is
# due now and leaves within seconds, and then the frequency cap, not this wait, decides whether
# the outranked one follows. Waiting longer only made a welcome expected at sign-up late, or
# waited on a winner that was itself held (its previous step, the cap) and never left.
OUTRANKED_DEFERRAL = timedelta(seconds=30)
UNCONFIRMED = "delivery_unconfirmed"
# How long messages wait when the relay itself refuses us; one try per hold, not one per
# message, so a wrong password does not hammer the relay (and get the account locked).
RELAY_HOLD = timedelta(minutes=5)
RELAY_UNAVAILABLE = "smtp_relay_unavailable"
# A run's emails leave in the order of its steps: one whose previous step's email is still
# queued, being handed over or held for approval waits (a lost job found late by the sweeper
# must not let reminder 2 overtake reminder 1). Settled: sent, unconfirmed, suppressed,
# failed, rejected, drafted.
WAITING_FOR_PREVIOUS_STEP = "waiting_for_previous_step"
UNSETTLED = (Status.QUEUED, Status.SENDING, Status.PENDING_APPROVAL)
# How long after the previous step's email is due (or now) the next one looks again; one held
# for the merchant's approval is looked at less often.
PREVIOUS_STEP_WAIT = timedelta(seconds=15)
PREVIOUS_STEP_APPROVAL_WAIT = timedelta(minutes=5)


@dataclass(frozen=True)
class DeliveryResult:
    message_id: int
    status: str
    reason: str | None = None
    # Set when the job should run again this much later.
    retry_in: float | None = None
    # Set when the message stays queued for a later time (deferred, or retried after a 4xx).
    next_at: datetime | None = None
    # Set when this attempt changed what becomes of the message (the scenario is told).
    outcome: str | None = None


@dataclass(frozen=True)
class _Claim:
    message: Message
    # Who it comes from, as the shop's sender identity says at this moment.
    sender: Sender


def utcnow() -> datetime:
    return datetime.now(UTC)


async def deliver_message(
    sessions: async_sessionmaker[AsyncSession],
    transport: Transport,
    config: MessagingConfig,
    message_id: int,
    *,
    now: datetime | None = None,
) -> DeliveryResult:
    now = now or utcnow()
    async with sessions.begin() as session:
        claimed = await _claim(session, config, message_id, now)
        if isinstance(claimed, DeliveryResult):
            await _tell_scenario(session, claimed, now)
            return claimed
        hosts = await shop_link_hosts(session, config, claimed.message.shop_id)
        email = build_email(
            claimed.message, config, now=now, link_hosts=hosts, sender=claimed.sender
        )
        shop_id, address = claimed.message.shop_id, claimed.message.to_address
        customer_id = claimed.message.customer_id
        scenario, subject_key = claimed.message.scenario, claimed.message.subject_key
        # Who the outcome is about, read now: telling the scenario later needs no reload.
        about = outcome_of(claimed.message, Outcome.SENT, now)

    try:
        answer = await transport.send(email)
    except RelayUnavailable as exc:
        log.warning(
            "smtp relay unavailable: messages stay queued",
            reason=str(exc),
            hold_seconds=RELAY_HOLD.total_seconds(),
        )
        async with sessions.begin() as session:
            await lock_subject(session, scenario, shop_id, subject_key)
            held = await _hold_for_relay(session, message_id, str(exc), utcnow())
            await _tell(session, about, held, utcnow())
            return held
    except TransientSendError as exc:
        async with sessions.begin() as session:
            await lock_subject(session, scenario, shop_id, subject_key)
            result = await _record_transient(session, message_id, str(exc), utcnow())
            await _tell(session, about, result, utcnow())
            return result
    except PermanentSendError as exc:
        async with sessions.begin() as session:
            await lock_subject(session, scenario, shop_id, subject_key)
            if exc.recipient_rejected and address:
                await suppress_address(
                    session,
                    shop_id,
                    address,
                    reason="bounced",
                    now=utcnow(),
                    customer_id=customer_id,
                    detail=str(exc)[:500],
                )
            await _set(session, message_id, status=Status.FAILED, status_reason=f"smtp: {exc}")
            failed = DeliveryResult(
                message_id, Status.FAILED, f"smtp: {exc}", outcome=Outcome.FAILED
            )
            await _tell(session, about, failed, utcnow())
        return failed

    async with sessions.begin() as session:
        await lock_subject(session, scenario, shop_id, subject_key)
        sent_at = utcnow()
        recorded = await session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                # A slow hand-off that a recovering job already gave up on did succeed.
                Message.status.in_((Status.SENDING, Status.UNCONFIRMED)),
            )
            .values(
                status=Status.SENT,
                status_reason=None,
                sent_at=sent_at,
                provider_response=answer[:1000],
            )
            .returning(Message.id)
        )
        if recorded.first() is not None:
            await _tell(
                session,
                about,
                DeliveryResult(message_id, Status.SENT, outcome=Outcome.SENT),
                sent_at,
            )
    return DeliveryResult(message_id, Status.SENT)


async def _tell_scenario(session: AsyncSession, result: DeliveryResult, at: datetime) -> None:
    """The message's scenario hears what this attempt decided (a timeline entry, a run's
    last send), in the transaction that records it. The claim loaded the message already."""
    if result.outcome is None:
        return
    message = await session.get(Message, result.message_id)
    if message is not None:
        await _tell(session, outcome_of(message, result.outcome, at), result, at)


async def _tell(
    session: AsyncSession, about: SendOutcome, result: DeliveryResult, at: datetime
) -> None:
    if result.outcome is not None:
        await notify_send_outcome(
            session,
            replace(about, kind=result.outcome, at=at, reason=result.reason, until=result.next_at),
        )


async def _claim(
    session: AsyncSession, config: MessagingConfig, message_id: int, now: datetime
) -> _Claim | DeliveryResult:
    # Lock order: customer, then the scenario's subject (its run), then the message. The
    # message is read once unlocked to know which customer and subject those are.
    about = (
        await session.execute(
            select(
                Message.shop_id,
                Message.customer_id,
                Message.scenario,
                Message.subject_key,
                Message.status,
                Message.status_reason,
                Message.scheduled_at,
            ).where(Message.id == message_id)
        )
    ).first()
    if about is None:
        return DeliveryResult(message_id, "missing")
    shop_id, customer_id, scenario, subject_key, status, status_reason, scheduled_at = about
    # Settled, or not due yet (a duplicate job, a deferral's earlier job): answered as the
    # locked read below would, without queueing on the shopper's and the run's locks.
    if status not in (Status.QUEUED, Status.SENDING):
        return DeliveryResult(message_id, status, status_reason)
    if status == Status.QUEUED and scheduled_at > now:
        return DeliveryResult(message_id, Status.QUEUED, "not_due")
    # Locks the shopper: concurrent sends to one customer take turns through the cap.
    customer = (
        await session.scalar(
            select(Customer)
            .where(Customer.shop_id == shop_id, Customer.id == customer_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        if customer_id is not None
        else None
    )
    await lock_subject(session, scenario, shop_id, subject_key)
    message = await session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if message is None:
        return DeliveryResult(message_id, "missing")
    if message.status == Status.SENDING:
        return _recover_in_flight(message, now)
    if message.status != Status.QUEUED:
        return DeliveryResult(message_id, message.status, message.status_reason)
    if message.scheduled_at > now:
        return DeliveryResult(message_id, Status.QUEUED, "not_due")

    shop = await session.get(Shop, message.shop_id)
    if shop is None or shop.uninstalled_at is not None:
        return _suppress(message, "shop_uninstalled")
    policy = await sending_policy(session, shop.id)
    if policy.paused:
        # Held, not dropped: checked again until the merchant lifts the pause.
        return _defer(message, now + SHOP_PAUSED_RECHECK, "shop_paused", now)
    delivery = await scenario_delivery(session, shop.id, message.scenario)
    if delivery.mode is DeliveryMode.PAUSED:
        return _suppress(message, "scenario_paused")
    if delivery.mode is DeliveryMode.DRY_RUN:
        message.status, message.status_reason = Status.DRAFT, "dry_run"
        return DeliveryResult(message.id, Status.DRAFT, "dry_run", outcome=Outcome.DRAFTED)
    if delivery.mode is DeliveryMode.APPROVAL and message.approved_at is None:
        message.status, message.status_reason = Status.PENDING_APPROVAL, None
        return DeliveryResult(message.id, Status.PENDING_APPROVAL, outcome=Outcome.HELD)

    suppression = await suppression_for(session, shop.id, message.to_address)
    blocked = consent_block_reason(customer, suppression, transactional=message.transactional)
    if blocked is not None:
        return _suppress(message, blocked)
    try:
        stale = await scenario_block_reason(session, message)
    except SendLater as later:
        # The scenario cannot tell yet whether the message is still wanted: held, not sent
        # on facts it could not read, not dropped while it may still be wanted.
        return _defer(message, later.until, later.reason, now)
    if stale is not None:
        return _suppress(message, stale)
    code = message.context.get("discount_code")
    if isinstance(code, str) and await code_withdrawn(session, shop.id, code):
        # Rendered before the merchant deleted or deactivated the discount in Shopify's admin:
        # a code that fails at checkout is worse than no email; the next step gets a new one.
        return _suppress(message, "discount_withdrawn_at_shopify")

    previous = await _unsettled_previous_step(session, message)
    if previous is not None:
        previous_id, previous_status, previous_at = previous
        if previous_status == Status.PENDING_APPROVAL:
            until = now + PREVIOUS_STEP_APPROVAL_WAIT
        else:
            until = max(previous_at, now) + PREVIOUS_STEP_WAIT
        return _defer(message, until, f"{WAITING_FOR_PREVIOUS_STEP}:{previous_id}", now)

    window = policy.quiet_window()
    resume = quiet_hours_end(now, shop_zone(shop.timezone), *window) if window is not None else None
    if resume is not None:
        return _defer(message, resume, "quiet_hours", now)

    if not message.transactional:
        competing = await session.execute(
            select(Message.id, Message.priority).where(
                Message.shop_id == shop.id,
                Message.customer_id == message.customer_id,
                Message.status == Status.QUEUED,
                Message.transactional.is_(False),
                Message.scheduled_at <= now,
                Message.id != message.id,
            )
        )
        winner = outranked_by(message.priority, [(r[0], r[1]) for r in competing])
        if winner is not None:
            return _defer(message, now + OUTRANKED_DEFERRAL, f"outranked_by_message:{winner}", now)

        recent = await _recent_marketing_sends(session, shop.id, message.customer_id, now)
        frees = frequency_cap_frees_at(
            recent, now, max_per_day=policy.max_per_day, max_per_week=policy.max_per_week
        )
        if frees is not None:
            if frees - message.requested_at > MAX_CAP_DEFERRAL:
                return _suppress(message, "frequency_cap")
            return _defer(message, frees, "frequency_cap", now)

    message.message_id_header = message.message_id_header or new_message_id(config)
    message.status = Status.SENDING
    message.status_reason = None
    message.sending_started_at = now
    message.attempts += 1
    return _Claim(message, sender_of(shop, config.email_from, config.sender_domains))


async def _unsettled_previous_step(
    session: AsyncSession, message: Message
) -> tuple[int, str, datetime] | None:
    """The earliest email of an earlier step of the same run (scenario and subject) that is
    not settled yet: its id, status and when it is due. Read through the natural key's
    unique index."""
    row = (
        await session.execute(
            select(Message.id, Message.status, Message.scheduled_at)
            .where(
                Message.shop_id == message.shop_id,
                Message.scenario == message.scenario,
                Message.subject_key == message.subject_key,
                Message.step < message.step,
                Message.status.in_(UNSETTLED),
            )
            .order_by(Message.step)
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def _recent_marketing_sends(
    session: AsyncSession, shop_id: int, customer_id: int | None, now: datetime
) -> list[datetime]:
    if customer_id is None:
        return []
    when = func.coalesce(Message.sent_at, Message.sending_started_at)
    rows = await session.scalars(
        select(when).where(
            Message.shop_id == shop_id,
            Message.customer_id == customer_id,
            Message.transactional.is_(False),
            Message.status.in_((Status.SENT, Status.SENDING, Status.UNCONFIRMED)),
            when > now - WEEK,
        )
    )
    return [r for r in rows if r is not None]


def _recover_in_flight(message: Message, now: datetime) -> DeliveryResult:
    started = message.sending_started_at or now
    if now - started < IN_FLIGHT_GRACE:
        # Maybe another worker is still talking to the relay: look again later.
        wait = (started + IN_FLIGHT_GRACE - now).total_seconds()
        return DeliveryResult(message.id, Status.SENDING, "in_flight", retry_in=max(wait, 1.0))
    message.status = Status.UNCONFIRMED
    message.status_reason = UNCONFIRMED
    message.provider_response = (
        f"worker stopped after the hand-off began; not re-sent. Message-ID "
        f"{message.message_id_header}"
    )
    return DeliveryResult(message.id, Status.UNCONFIRMED, UNCONFIRMED, outcome=Outcome.UNCONFIRMED)


def _suppress(message: Message, reason: str) -> DeliveryResult:
    message.status, message.status_reason = Status.SUPPRESSED, reason
    return DeliveryResult(message.id, Status.SUPPRESSED, reason, outcome=Outcome.SUPPRESSED)


def _defer(message: Message, until: datetime, reason: str, now: datetime) -> DeliveryResult:
    # A hold re-checked for the same reason (a shop pause, every 15 minutes) is told once.
    repeated = message.status_reason == reason
    message.scheduled_at, message.status_reason = until, reason
    return DeliveryResult(
        message.id,
        Status.QUEUED,
        reason,
        retry_in=max((until - now).total_seconds(), 0.0),
        next_at=until,
        outcome=None if repeated else Outcome.DEFERRED,
    )


async def _record_transient(
    session: AsyncSession, message_id: int, error: str, now: datetime
) -> DeliveryResult:
    message = await session.get(Message, message_id, with_for_update={"key_share": True})
    if message is None:
        return DeliveryResult(message_id, "missing")
    if message.attempts >= MAX_ATTEMPTS:
        message.status, message.status_reason = Status.FAILED, f"smtp_retries_exhausted: {error}"
        return DeliveryResult(
            message_id, Status.FAILED, message.status_reason, outcome=Outcome.FAILED
        )
    backoff = timedelta(seconds=min(60 * 2 ** (message.attempts - 1), 3600))
    message.status = Status.QUEUED
    message.status_reason = f"smtp_transient: {error}"[:1000]
    message.scheduled_at = now + backoff
    return DeliveryResult(
        message_id,
        Status.QUEUED,
        message.status_reason,
        retry_in=backoff.total_seconds(),
        next_at=message.scheduled_at,
        outcome=Outcome.DEFERRED,
    )


async def _hold_for_relay(
    session: AsyncSession, message_id: int, error: str, now: datetime
) -> DeliveryResult:
    """Back to `queued` until the hold ends, this message and every other one due before
    then: the next try is one message, not a burst that fails the same way."""
    message = await session.get(Message, message_id, with_for_update={"key_share": True})
    if message is None:
        return DeliveryResult(message_id, "missing")
    reason = f"{RELAY_UNAVAILABLE}: {error}"[:1000]
    if now - message.requested_at > MAX_CAP_DEFERRAL:
        # Held for days: a late reminder does more harm than none.
        message.status, message.status_reason = Status.FAILED, reason
        return DeliveryResult(message_id, Status.FAILED, reason, outcome=Outcome.FAILED)
    until = now + RELAY_HOLD
    # Not a try of this message: the relay never looked at it.
    message.attempts = max(message.attempts - 1, 0)
    message.status, message.status_reason, message.scheduled_at = Status.QUEUED, reason, until
    waiting = (
        select(Message.id)
        .where(
            Message.status == Status.QUEUED,
            Message.scheduled_at < until,
            Message.id != message_id,
        )
        # A message being claimed right now finds out for itself.
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(Message)
        .where(Message.id.in_(waiting.scalar_subquery()))
        .values(scheduled_at=until, status_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return DeliveryResult(
        message_id,
        Status.QUEUED,
        reason,
        retry_in=RELAY_HOLD.total_seconds(),
        next_at=until,
        outcome=Outcome.DEFERRED,
    )


async def _set(session: AsyncSession, message_id: int, **values: object) -> None:
    await session.execute(update(Message).where(Message.id == message_id).values(**values))
