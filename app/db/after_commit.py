"""Work that must wait for the transaction to commit (enqueueing jobs about rows it wrote):
registered on the session inside the transaction, run by the caller after the commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "boomerang.after_commit"

# Receives the process's resources (the queue, mostly).
AfterCommit = Callable[[Any], Awaitable[object]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    session.info.setdefault(_KEY, []).append(action)


def take_after_commit(session: AsyncSession) -> list[AfterCommit]:
    """The registered actions, removed from the session (call inside the `begin()` block,
    run them after it)."""
    actions: list[AfterCommit] = session.info.pop(_KEY, [])
    return actions
