"""Scenario hooks into the outbox; messaging knows no scenario, scenarios register here.

Guards: the scenario's own live re-check, run by the send job inside the transaction that
claims the message, so a reminder never leaves after the purchase (even when quiet hours or the
frequency cap held it for hours). Engagement listeners: told when a person (not a scanner)
opened or clicked one of the scenario's messages, which starts its attribution window.
Unsubscribe listeners: told when a shopper unsubscribes through our link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
