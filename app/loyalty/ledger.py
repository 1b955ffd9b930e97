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

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from app.loyalty import storefront
from app.loyalty.jobs import notices_job
from app.models import LoyaltyAccount, PointsLedgerEntry
from app.queue.deferred import defer

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


async def lock_account(session: AsyncSession, shop_id: int, customer_id: int) -> Account:
    """The customer's account, created if new, locked FOR UPDATE until the transaction ends."""
    await session.execute(
        insert(LoyaltyAccount)
        .values(shop_id=shop_id, customer_id=customer_id, balance=0, pending=0)
        .on_conflict_do_nothing(index_elements=["shop_id", "customer_id"])
    )
    row = (
        await session.execute(
            select(LoyaltyAccount.__table__)
            .where(LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer_id)
            .with_for_update()
        )
    ).one()
    return Account(
        id=row.id,
        shop_id=shop_id,
        customer_id=customer_id,
        balance=row.balance,
        pending=row.pending,
        tier=row.tier,
    )


async def append(
    session: AsyncSession, account: Account, movement: Movement, now: datetime
) -> int | None:
    """Write the movement and update the cached balance; the new row's id, or None when the
    same movement (same natural key) was already written. `account` must come from
    `lock_account` in this transaction."""
    entry_id = (
        await session.execute(
            insert(PointsLedgerEntry)
            .values(
                shop_id=account.shop_id,
                customer_id=account.customer_id,
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
                created_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=["shop_id", "customer_id", "kind", "source_type", "source_id"]
            )
            .returning(PointsLedgerEntry.id)
        )
    ).scalar_one_or_none()
    if entry_id is None:
        return None
    storefront.account_changed(session, account.shop_id, account.customer_id, int(entry_id))
    if movement.delta > 0:
        # Only a gain can make an email due (a loss is seen by the next run: notices.py).
        defer(session, notices_job(account.shop_id, account.customer_id, now))
    await session.execute(
        update(LoyaltyAccount)
        .where(LoyaltyAccount.id == account.id)
        .values(
            balance=LoyaltyAccount.balance + movement.delta,
            pending=pending_sum(account.shop_id, account.customer_id, now),
            pending_as_of=now,
        )
    )
    return int(entry_id)


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
