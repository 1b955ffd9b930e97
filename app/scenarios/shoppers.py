"""One decision at a time per shopper. A checkout and an order (or two checkouts) of the same
shopper processed at once would each miss the other's uncommitted row: the checkout would start
a reminder the order should have stopped. Every decision about a shopper's runs that reads
the other side first takes this transaction-scoped advisory lock, keyed by shop and email.

The lock is taken in a statement BEFORE the one that reads the runs: PostgreSQL's snapshot of a
statement is taken when it starts, so a lock acquired inside the reading statement would let it
miss what the previous holder committed while it waited.

The orders handler takes it inside its order upsert (no round trip of its own) and says so
with `mark_held`; `serialize` then knows it is held and sends nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import SessionTransaction

from app.db.prepared import Prepared, begun_driver

_HELD = "boomerang.shopper_locks"

# The lock itself, for a key from `lock_key`; the statement that holds a shopper's lock
# inside another one uses the same expression.
LOCK_SQL = "pg_advisory_xact_lock(hashtextextended(CAST(:shopper_lock AS text), 0))"
_LOCK = Prepared(text(f"SELECT {LOCK_SQL}"))


def lock_key(shop_id: int, email: str | None) -> str | None:
    """The shopper's lock key; None when there is no email to serialize on. The text (with its
    historical `abandoned_cart` prefix) is what earlier releases locked, so a worker of the
    previous release and one of this one still serialize each other during a deploy."""
    if not email or not email.strip():
        return None
    return f"abandoned_cart:{shop_id}:{email.strip().lower()}"


def _transaction(session: AsyncSession) -> SessionTransaction | None:
    return session.sync_session.get_transaction()


def mark_held(session: AsyncSession, key: str) -> None:
    """Note that the current transaction (or savepoint) has just taken the lock `key`."""
    transaction = _transaction(session)
    if transaction is None:  # pragma: no cover - called right after a statement ran
        return
    held: dict[str, Any] = session.info.setdefault(_HELD, {})
    held[key] = transaction


def is_held(session: AsyncSession, key: str) -> bool:
    """Whether this transaction holds the lock: taken in it or in one of its enclosing
    transactions (a savepoint that took it and has ended may have released it, so only the
    current transaction and its ancestors count)."""
    taken_in = session.info.get(_HELD, {}).get(key)
    transaction = _transaction(session)
    while transaction is not None:
        if transaction is taken_in:
            return True
        transaction = transaction.parent
    return False


async def serialize(session: AsyncSession, shop_id: int, email: str | None) -> None:
    """Hold the shopper's lock until the transaction ends (one round trip, none when this
    transaction already holds it)."""
    key = lock_key(shop_id, email)
    if key is None or is_held(session, key):
        return
    await _LOCK.fetchrow(await begun_driver(session), shopper_lock=key)
    mark_held(session, key)
