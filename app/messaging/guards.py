"""Scenario hooks into the outbox; messaging knows no scenario. The composition root builds
the hooks of every scenario in the catalog once and hands them to each session.

Guards: the scenario's own live re-check, run by the send job inside the transaction that
claims the message, so a reminder never leaves after the purchase (even when quiet hours or the
frequency cap held it for hours); a guard that cannot decide yet (what it must read is not
known yet) raises SendLater, and the message is deferred, not dropped. Engagement listeners:
told when a person (not a scanner) opened or clicked one of the scenario's messages, which
starts its attribution window. Unsubscribe listeners: told when a shopper unsubscribes through
our link. Subject locks: the scenario locks what the message is about (its run) before the
outbox locks the message, so every transaction takes its row locks in one order: customer,
run, message. Send-outcome listeners: told what became of a message (sent, suppressed,
deferred, failed, rejected…), in the transaction that records it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Message

# Returns a reason to suppress the message, or None to let it go; raises SendLater to hold it.
Guard = Callable[[AsyncSession, Message], Awaitable[str | None]]


class SendLater(Exception):
    """A guard's answer when it cannot decide yet: neither send nor drop. The outbox keeps the
    message queued until `until`, with `reason` as its status reason (told to the scenario as
    a deferral), then runs the guard again."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


# Told when a person (not a scanner) opened or clicked one of the scenario's messages.
Engaged = Callable[[AsyncSession, Message, datetime], Awaitable[None]]
# Told when a shopper unsubscribes through our link, so running sequences stop at once.
Unsubscribed = Callable[[AsyncSession, int, int, datetime], Awaitable[None]]
# Locks the scenario's subject of a message (shop id, subject key), before the message itself.
SubjectLock = Callable[[AsyncSession, int, str], Awaitable[None]]


class Outcome:
    """What became of a message, as send-outcome listeners hear it."""

    SENT = "sent"  # the relay accepted it
    SUPPRESSED = "suppressed"  # dropped for good, with the reason
    DEFERRED = "deferred"  # held until `until` (quiet hours, the frequency cap, a 4xx)
    FAILED = "failed"  # the relay refused it
    # Handed to the relay, then the worker died before the answer was recorded: never sent
    # again; it most likely left.
    UNCONFIRMED = "unconfirmed"
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


@dataclass(frozen=True)
class ScenarioHooks:
    """One scenario's hooks into the outbox."""

    guard: Guard | None = None
    lock_subject: SubjectLock | None = None
    on_engaged: Engaged | None = None
    on_unsubscribed: Unsubscribed | None = None
    on_send_outcome: OutcomeListener | None = None


@dataclass(frozen=True)
class OutboxHooks:
    """Every scenario's hooks, by scenario key: built once by the composition root from the
    catalog and carried by each session of the process (see `hooks_of`)."""

    by_scenario: Mapping[str, ScenarioHooks] = field(default_factory=dict)

    def of(self, scenario: str) -> ScenarioHooks:
        return self.by_scenario.get(scenario, _NONE)


_NONE = ScenarioHooks()
# Where a session carries its process's hooks (app.platform.composition puts them there).
SESSION_KEY = "boomerang.outbox_hooks"


class NoOutboxHooks(RuntimeError):
    """A message was handled on a session built without the process's hooks: its scenario's
    last check would be skipped. Sessions come from app.platform (Resources.sessions)."""


def hooks_of(session: AsyncSession) -> OutboxHooks:
    hooks = session.info.get(SESSION_KEY)
    if not isinstance(hooks, OutboxHooks):
        raise NoOutboxHooks("this session carries no outbox hooks: build it with app.platform")
    return hooks


async def scenario_block_reason(session: AsyncSession, message: Message) -> str | None:
    guard = hooks_of(session).of(message.scenario).guard
    return None if guard is None else await guard(session, message)


async def notify_engagement(session: AsyncSession, message: Message, at: datetime) -> None:
    listener = hooks_of(session).of(message.scenario).on_engaged
    if listener is not None:
        await listener(session, message, at)


async def notify_unsubscribe(
    session: AsyncSession, shop_id: int, customer_id: int, at: datetime
) -> None:
    for hooks in hooks_of(session).by_scenario.values():
        if hooks.on_unsubscribed is not None:
            await hooks.on_unsubscribed(session, shop_id, customer_id, at)


async def lock_subject(
    session: AsyncSession, scenario: str, shop_id: int, subject_key: str
) -> None:
    lock = hooks_of(session).of(scenario).lock_subject
    if lock is not None:
        await lock(session, shop_id, subject_key)


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
    listener = hooks_of(session).of(outcome.scenario).on_send_outcome
    if listener is not None:
        await listener(session, outcome)
