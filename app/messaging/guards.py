"""Scenario hooks into the outbox; messaging knows no scenario, scenarios register here.

Guards: the scenario's own live re-check, run by the send job inside the transaction that
claims the message, so a reminder never leaves after the purchase (even when quiet hours or the
frequency cap held it for hours). Engagement listeners: told when a person (not a scanner)
opened or clicked one of the scenario's messages, which starts its attribution window.
Unsubscribe listeners: told when a shopper unsubscribes through our link. Subject locks: the
scenario locks what the message is about (its run) before the outbox locks the message, so
every transaction takes its row locks in one order: customer, run, message. Send-outcome
listeners: told what became of a message (sent, suppressed, deferred, failed, rejected…), in
the transaction that records it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Message

# Returns a reason to suppress the message, or None to let it go.
Guard = Callable[[AsyncSession, Message], Awaitable[str | None]]

_GUARDS: dict[str, Guard] = {}


def guards(scenario: str) -> Callable[[Guard], Guard]:
    def register(guard: Guard) -> Guard:
        _GUARDS[scenario] = guard
        return guard

    return register


async def scenario_block_reason(session: AsyncSession, message: Message) -> str | None:
    guard = _GUARDS.get(message.scenario)
    return None if guard is None else await guard(session, message)


Engaged = Callable[[AsyncSession, Message, datetime], Awaitable[None]]

_ENGAGED: dict[str, Engaged] = {}


def on_engagement(scenario: str) -> Callable[[Engaged], Engaged]:
    def register(listener: Engaged) -> Engaged:
        _ENGAGED[scenario] = listener
        return listener

    return register


async def notify_engagement(session: AsyncSession, message: Message, at: datetime) -> None:
    listener = _ENGAGED.get(message.scenario)
    if listener is not None:
        await listener(session, message, at)


def hooked_scenarios() -> frozenset[str]:
    """Scenarios with a guard or an engagement listener registered in this process."""
    return frozenset(_GUARDS) | frozenset(_ENGAGED)


def outcome_listeners() -> frozenset[str]:
    """Scenarios told of their messages' outcomes in this process."""
    return frozenset(_OUTCOMES)


# Told when a shopper unsubscribes through our link, so running sequences stop at once.
Unsubscribed = Callable[[AsyncSession, int, int, datetime], Awaitable[None]]

_UNSUBSCRIBED: list[Unsubscribed] = []


def on_unsubscribe(listener: Unsubscribed) -> Unsubscribed:
    _UNSUBSCRIBED.append(listener)
    return listener


async def notify_unsubscribe(
    session: AsyncSession, shop_id: int, customer_id: int, at: datetime
) -> None:
    for listener in _UNSUBSCRIBED:
        await listener(session, shop_id, customer_id, at)


# Locks the scenario's subject of a message (shop id, subject key), before the message itself.
SubjectLock = Callable[[AsyncSession, int, str], Awaitable[None]]

_SUBJECT_LOCKS: dict[str, SubjectLock] = {}


def locks_subject(scenario: str) -> Callable[[SubjectLock], SubjectLock]:
    def register(lock: SubjectLock) -> SubjectLock:
        _SUBJECT_LOCKS[scenario] = lock
        return lock

    return register


async def lock_subject(
    session: AsyncSession, scenario: str, shop_id: int, subject_key: str
) -> None:
    lock = _SUBJECT_LOCKS.get(scenario)
    if lock is not None:
        await lock(session, shop_id, subject_key)


class Outcome:
    """What became of a message, as send-outcome listeners hear it."""

    SENT = "sent"  # the relay accepted it
    SUPPRESSED = "suppressed"  # dropped for good, with the reason
    DEFERRED = "deferred"  # held until `until` (quiet hours, the frequency cap, a 4xx)
    FAILED = "failed"  # the relay refused it, or delivery could not be confirmed
    REJECTED = "rejected"  # the merchant rejected it in the approval queue
    DRAFTED = "drafted"  # dry run: kept as a draft, never sent
    HELD = "held_for_approval"  # waits for the merchant's approval


@dataclass(frozen=True)
class SendOutcome:
    kind: str  # an Outcome value
    message_id: int
    shop_id: int
    scenario: str
    subject_key: str
    step: int
    customer_id: int | None
    at: datetime
    reason: str | None = None
    until: datetime | None = None


OutcomeListener = Callable[[AsyncSession, SendOutcome], Awaitable[None]]

_OUTCOMES: dict[str, OutcomeListener] = {}


def on_send_outcome(scenario: str) -> Callable[[OutcomeListener], OutcomeListener]:
    def register(listener: OutcomeListener) -> OutcomeListener:
        _OUTCOMES[scenario] = listener
        return listener

    return register


def outcome_of(
    message: Message,
    kind: str,
    at: datetime,
    *,
    reason: str | None = None,
    until: datetime | None = None,
) -> SendOutcome:
    return SendOutcome(
        kind=kind,
        message_id=message.id,
        shop_id=message.shop_id,
        scenario=message.scenario,
        subject_key=message.subject_key,
        step=message.step,
        customer_id=message.customer_id,
        at=at,
        reason=reason,
        until=until,
    )


async def notify_send_outcome(session: AsyncSession, outcome: SendOutcome) -> None:
    listener = _OUTCOMES.get(outcome.scenario)
    if listener is not None:
        await listener(session, outcome)
