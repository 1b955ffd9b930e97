"""The points ledger: append a movement and keep the customer's cached balance with it, in the
same transaction, under the account's row lock. Rows are never updated nor deleted; the
natural key (shop, customer, kind, source) makes a second append of the same movement a no-op.

Every writer locks the account first (`lock_account`), so two workers settling the same order
for the same customer run one after the other and the second sees what the first wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from app.db.prepared import Prepared, begun_driver
from app.loyalty import storefront
from app.loyalty.jobs import notices_job, waiting_job_covers
from app.models import PointsLedgerEntry
from app.queue.deferred import Job, defer

SYSTEM = "system"


def merchant_actor(user_id: int) -> str:
    """The actor of a movement the merchant's staff made (the session token's `sub`)."""
    return f"user:{user_id}"


@dataclass(frozen=True)
class Account:
    """A customer's account row, locked for the rest of the transaction."""

    id: int
    shop_id: int
    customer_id: int
    balance: int
    pending: int
    tier: str | None
    # When the customer's waiting notices job runs (None: none waits), read under the lock.
    notices_due_at: datetime | None = None


@dataclass(frozen=True)
class Movement:
    kind: str
    delta: int
    source_type: str
    source_id: str
    available_at: datetime
    actor: str = SYSTEM
    reason: str | None = None
    order_id: int | None = None
    amount: Decimal | None = None
    rate: Decimal | None = None
    reverses_id: int | None = None


# The account, created if new, and locked FOR UPDATE, in ONE statement compiled once and run on
# the transaction's driver (app/db/prepared.py): the inserted row is this transaction's (locked
# as written); otherwise the row it conflicted with, read FOR UPDATE (waiting for a holder,
# then reading its latest version).
_ACCOUNT_COLUMNS = "id, balance, pending, tier, notices_due_at"


def lock_account_sql(also: str = "") -> str:
    """The account lock's statement; `also`, a SELECT list of one row (scalar subqueries over
    the same :named parameters), is read with it in the same round trip, with the
    statement's snapshot: taken before any wait for the account's lock, so it must only read
    what that lock does not guard."""
    extra = f"CROSS JOIN (SELECT {also}) AS also" if also else ""
    return f"""
WITH inserted AS (
    INSERT INTO loyalty_accounts (shop_id, customer_id, balance, pending, reward_notified_cost)
    VALUES (:shop_id, :customer_id, 0, 0, 0)
    ON CONFLICT (shop_id, customer_id) DO NOTHING
    RETURNING {_ACCOUNT_COLUMNS}
), existing AS (
    SELECT {_ACCOUNT_COLUMNS} FROM loyalty_accounts
    WHERE shop_id = :shop_id AND customer_id = :customer_id
    FOR UPDATE
)
SELECT * FROM (
    SELECT {_ACCOUNT_COLUMNS} FROM inserted UNION ALL SELECT {_ACCOUNT_COLUMNS} FROM existing
) AS account {extra}
"""  # noqa: S608  (column names from the constant above; every value is a parameter)


_LOCK_ACCOUNT = Prepared(sql(lock_account_sql()))
# A row committed after the statement above began is invisible to its read: it waited for that
# row's insert, then found it neither new nor visible. Read again, in a statement of its own
# (a snapshot that sees it).
_EXISTING_ACCOUNT = Prepared(
    sql(
        f"""
SELECT {_ACCOUNT_COLUMNS} FROM loyalty_accounts
WHERE shop_id = :shop_id AND customer_id = :customer_id
FOR UPDATE"""  # noqa: S608
    )
)


async def lock_account(session: AsyncSession, shop_id: int, customer_id: int) -> Account:
    """The customer's account, created if new, locked FOR UPDATE until the transaction ends."""
    account, _ = await lock_account_reading(session, _LOCK_ACCOUNT, shop_id, customer_id)
    if account is None:
        account = await _lock_existing(session, shop_id, customer_id)
    return account


async def lock_account_reading(
    session: AsyncSession, statement: Prepared, shop_id: int, customer_id: int, **params: Any
) -> tuple[Account | None, asyncpg.Record | None]:
    """`lock_account` with what `statement` (built by `lock_account_sql`) also reads, in one
    round trip: the account and the statement's row. (None, None) in the rare case of an
    account another transaction created meanwhile: the caller then locks it with
    `lock_account` and reads the rest in a statement of its own."""
    await session.flush()  # what the session holds unwritten, as its own execute would
    driver = await begun_driver(session)
    row = await statement.fetchrow(driver, shop_id=shop_id, customer_id=customer_id, **params)
    if row is None:
        return None, None
    return _account(row, shop_id, customer_id), row


async def _lock_existing(session: AsyncSession, shop_id: int, customer_id: int) -> Account:
    driver = await begun_driver(session)
    row = await _EXISTING_ACCOUNT.fetchrow(driver, shop_id=shop_id, customer_id=customer_id)
    if row is None:  # pragma: no cover - the conflicting row exists (accounts are not deleted here)
        raise RuntimeError("loyalty account conflicted with a row that is gone")
    return _account(row, shop_id, customer_id)


def _account(row: asyncpg.Record, shop_id: int, customer_id: int) -> Account:
    return Account(
        id=row["id"],
        shop_id=shop_id,
        customer_id=customer_id,
        balance=row["balance"],
        pending=row["pending"],
        tier=row["tier"],
        notices_due_at=row["notices_due_at"],
    )


# The movement and the account's cached balance in ONE statement, compiled once and run on the
# transaction's driver. The pending sum is read with the statement's snapshot, which does not
# see the entry written in it: the new entry's own share is added (it is pending when it
# becomes spendable later than now, which is `pending_at` for an entry created now).
_APPEND = Prepared(
    sql(
        """
WITH entry AS (
    INSERT INTO points_ledger
        (shop_id, customer_id, delta, kind, source_type, source_id, order_id, amount, rate,
         reason, actor, reverses_id, available_at, created_at)
    VALUES (:shop_id, :customer_id, :delta, :kind, :source_type, :source_id, :order_id,
            :amount, :rate, :reason, :actor, :reverses_id, :available_at, :now)
    ON CONFLICT (shop_id, customer_id, kind, source_type, source_id) DO NOTHING
    RETURNING id, delta, available_at
), moved AS (
    UPDATE loyalty_accounts AS a
    SET balance = a.balance + entry.delta,
        pending = (
            SELECT coalesce(sum(l.delta), 0) FROM points_ledger AS l
            WHERE l.shop_id = :shop_id AND l.customer_id = :customer_id
              AND l.available_at > :now AND l.available_at > l.created_at
        ) + CASE WHEN entry.available_at > :now THEN entry.delta ELSE 0 END,
        pending_as_of = :now,
        updated_at = now()
    FROM entry
    WHERE a.id = :account_id
    RETURNING a.balance, a.pending, a.reward_notified_cost
)
SELECT entry.id, moved.balance, moved.pending, moved.reward_notified_cost FROM entry, moved
"""
    )
)


@dataclass(frozen=True)
class Appended:
    """A movement just written: its id, and the account after it (balance, pending points as
    of the movement, the last reward cost its notices announced)."""

    id: int
    balance: int
    pending: int
    reward_notified_cost: int


async def append(
    session: AsyncSession, account: Account, movement: Movement, now: datetime
) -> int | None:
    """Write the movement and update the cached balance; the new row's id, or None when the
    same movement (same natural key) was already written. `account` must come from
    `lock_account` in this transaction. A gain defers the customer's notices job."""
    appended = await append_unannounced(session, account, movement, now)
    if appended is None:
        return None
    if movement.delta > 0:
        # Only a gain can make an email due (a loss is seen by the next run: notices.py);
        # none more when a run that reads this gain already waits.
        await defer_notices(
            session, account, notices_job(account.shop_id, account.customer_id, now), now
        )
    return appended.id


async def append_unannounced(
    session: AsyncSession, account: Account, movement: Movement, now: datetime
) -> Appended | None:
    """`append` leaving the notices job to the caller (app/loyalty/notice_triggers.py decides
    from what this returns); None when the movement was already written."""
    await session.flush()  # what the session holds unwritten, as its own execute would
    row = await _APPEND.fetchrow(
        await begun_driver(session),
        shop_id=account.shop_id,
        customer_id=account.customer_id,
        account_id=account.id,
        delta=movement.delta,
        kind=movement.kind,
        source_type=movement.source_type,
        source_id=movement.source_id,
        order_id=movement.order_id,
        amount=movement.amount,
        rate=movement.rate,
        reason=movement.reason,
        actor=movement.actor,
        reverses_id=movement.reverses_id,
        available_at=movement.available_at,
        now=now,
    )
    if row is None:
        return None
    entry_id = int(row["id"])
    storefront.account_changed(session, account.shop_id, account.customer_id, entry_id)
    return Appended(
        id=entry_id,
        balance=int(row["balance"]),
        pending=int(row["pending"]),
        reward_notified_cost=int(row["reward_notified_cost"]),
    )


# The notices job a gain deferred, due at :due: the next gain defers none that would run later
# (app/loyalty/notice_triggers.py); the job's run clears it (app/loyalty/notices.py).
_NOTICES_WAITING = Prepared(
    sql("UPDATE loyalty_accounts SET notices_due_at = :due WHERE id = :account_id")
)


async def defer_notices(session: AsyncSession, account: Account, job: Job, now: datetime) -> None:
    """Defer the notices job a gain calls for, unless one that runs no later already waits
    (`waiting_job_covers`); record on the locked account when the deferred one runs."""
    if waiting_job_covers(account.notices_due_at, job, now):
        return
    defer(session, job)
    if job.defer_until is not None:
        await _NOTICES_WAITING.execute(
            await begun_driver(session), due=job.defer_until, account_id=account.id
        )


def pending_at(as_of: Any) -> ColumnElement[bool]:
    """SQL: the entry is not yet spendable at `as_of` (a datetime, or a column). Only entries
    written deferred (available_at after created_at: an earn's pending period, and the
    clawback that follows it) are ever pending; a movement effective at once (a redemption,
    an adjustment) never is, even read by a transaction whose clock is a little behind the
    one that wrote it (concurrent redemptions read each other's debits as spent, always)."""
    entry = PointsLedgerEntry
    return and_(entry.available_at > as_of, entry.available_at > entry.created_at)


def pending_sum(shop_id: int, customer_id: int, as_of: datetime) -> ScalarSelect[int]:
    """SQL: the customer's points not yet spendable at `as_of`."""
    return (
        select(func.coalesce(func.sum(PointsLedgerEntry.delta), 0))
        .where(
            PointsLedgerEntry.shop_id == shop_id,
            PointsLedgerEntry.customer_id == customer_id,
            pending_at(as_of),
        )
        .scalar_subquery()
    )
