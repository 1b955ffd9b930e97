"""Points from orders: an earn when an order is paid, taken back when it is refunded or
cancelled. A clawback reverses the ORIGINAL earn (its points and the subtotal it counted),
never today's rule, which may have changed since.

The arithmetic lives in pure functions that `verify` shares, so what the ledger holds and what
the order history implies are computed the same way:
- an earn is floor(eligible subtotal × rate), the rate being the rule's points per unit of
  currency times the customer's tier multiplier that day;
- refunds take back round(earned × refunded subtotal / counted subtotal), capped at all of it,
  over the order's refunds together (so several partial refunds never drift by rounding, in
  whatever order they arrive); a refund of shipping only refunds no subtotal and takes nothing;
- a cancellation takes back whatever the order still holds;
- an order edit (orders/edited) re-prices the earn: the units it added are earned at the
  ORIGINAL earn's rate, as an `earn` entry of source `order_edit` naming the original
  (reverses_id), written once per edit; the order's earn is then the original plus its edits
  (points and counted subtotal together), which refunds and cancellation reverse. Units an
  edit removed come back through the refund that settles them.

Facts may arrive in any order, and be processed at the same time by several workers: refunds
recorded before the order's earn are taken back when the earn is written, and everything done
for one order holds that order's lock (`lock_order`) before the customer's account, so a
refund processed while its order earns is never missed by both."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver
from app.loyalty import content
from app.loyalty.ledger import (
    SYSTEM,
    Account,
    Movement,
    append,
    append_unannounced,
    defer_notices,
    lock_account,
    lock_account_reading,
    lock_account_sql,
)
from app.loyalty.notice_triggers import notices_after_gain
from app.loyalty.settings import LoyaltySettings
from app.loyalty.tiers import multiplier_of
from app.models import Order, PointsLedgerEntry, Refund


def earned_points(amount: Decimal, rate: Decimal) -> int:
    return int((amount * rate).to_integral_value(rounding=ROUND_FLOOR))


def refunded_subtotal(line_items: Iterable[dict[str, Any]]) -> Decimal:
    """A refund's line items' subtotal (shop money, as stored by refunds/create)."""
    return sum((Decimal(str(line.get("subtotal") or 0)) for line in line_items), Decimal(0))


def refunded_counted(line_items: Iterable[dict[str, Any]]) -> Decimal:
    """The part of a refund's subtotal that had counted for points: a gift card bought earned
    none (webhooks/order_paid.py), so giving it back takes none back."""
    return refunded_subtotal(line for line in line_items if line.get("gift_card") is not True)


def refund_target(earned: int, counted: Decimal, refunded: Decimal) -> int:
    """Points all of an order's refunds take back, together."""
    if earned <= 0 or refunded <= 0:
        return 0
    if counted <= 0 or refunded >= counted:
        return earned
    share = Decimal(earned) * refunded / counted
    return min(earned, int(share.to_integral_value(rounding=ROUND_HALF_UP)))


def order_lock_key(shop_id: int, shopify_order_id: int) -> str:
    return f"loyalty-order:{shop_id}:{shopify_order_id}"


async def lock_order(session: AsyncSession, shop_id: int, shopify_order_id: int) -> None:
    """Hold the order's loyalty lock to the end of the transaction. Keyed on Shopify's order id
    (an advisory lock, not the row), so a refund that arrives before its order takes the same
    lock as the order's first delivery."""
    key = order_lock_key(shop_id, shopify_order_id)
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def lock_order_by_id(session: AsyncSession, shop_id: int, order_id: int) -> None:
    shopify_id = await session.scalar(
        select(Order.shopify_id).where(Order.shop_id == shop_id, Order.id == order_id)
    )
    if shopify_id is None:
        raise LookupError(f"no order {order_id} in shop {shop_id}")
    await lock_order(session, shop_id, shopify_id)


EDIT_SOURCE = "order_edit"


@dataclass(frozen=True)
class Earn:
    """An order's earn: the original entry's id, customer, rate and availability, with its
    points and counted subtotal including the edits that re-priced it."""

    id: int
    customer_id: int
    delta: int
    amount: Decimal
    available_at: datetime
    rate: Decimal = Decimal(0)


async def earn_for_order(
    session: AsyncSession,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    order_id: int,
    customer_id: int,
    eligible_subtotal: Decimal,
    now: datetime,
    shopify_order_id: int | None = None,
) -> int | None:
    """Write the order's earn (once: a replay finds it there), then take back what the order's
    refunds and cancellation already recorded. The new entry's id, or None. The order's
    Shopify id, when the caller has it, spares looking it up for the order's lock."""
    if not (settings.enabled and settings.per_currency.enabled):
        return None
    if shopify_order_id is not None:
        await lock_order(session, shop_id, shopify_order_id)
    else:
        await lock_order_by_id(session, shop_id, order_id)
    account = await lock_account(session, shop_id, customer_id)
    rate = settings.per_currency.points * multiplier_of(settings, account.tier)
    return await write_earn(
        session,
        account,
        order_id=order_id,
        points=earned_points(eligible_subtotal, rate),
        amount=eligible_subtotal,
        rate=rate,
        available_at=now + timedelta(days=settings.pending_days),
        now=now,
    )


# A paid order's first statement in loyalty, compiled once and run on the transaction's
# driver: the shop's stored settings, the order's unclaimed guest hold locked FOR UPDATE (as
# `guests.credit_order` reads it), then the order's lock (`lock_order`), taken once the hold
# is read and locked (`locked` reads all of `guest` first), in the order the guest path
# takes them. Only what it reads before the order's lock is read here: what must be read
# under it (`_EARN_STATE`) is read by a later statement.
_PAID_START = Prepared(
    sql(
        """
WITH guest AS MATERIALIZED (
    SELECT id FROM loyalty_guest_points
    WHERE shop_id = :shop_id AND order_id = :order_id AND claimed_customer_id IS NULL
    FOR UPDATE
), locked AS MATERIALIZED (
    SELECT pg_advisory_xact_lock(hashtextextended(CAST(:order_lock AS text), 0))
    FROM (SELECT count(*) FROM guest) AS held
)
SELECT (SELECT CAST(settings AS text) FROM loyalty_programs WHERE shop_id = :shop_id)
           AS settings,
       (SELECT min(id) FROM guest) AS guest_id,
       (SELECT count(*) FROM locked) AS locked
"""
    )
)
# Under the order's lock: whether the order has its earn, and whether it is cancelled or has a
# refund recorded (`_has_earn` and `_refunded_or_cancelled` in one read), and when the
# customer's last points digest was requested (what the gain's notices depend on).
_EARN_STATE_COLUMNS = """
       (SELECT m.requested_at FROM messages AS m
        WHERE m.shop_id = :shop_id AND m.customer_id = :customer_id
          AND m.scenario = :scenario AND m.step = :digest_step
        ORDER BY m.id DESC LIMIT 1) AS last_digest_at,
       EXISTS (
           SELECT FROM points_ledger
           WHERE shop_id = :shop_id AND order_id = :order_id AND kind = 'earn'
             AND source_type = 'order'
       ) AS has_earn,
       EXISTS (
           SELECT FROM orders AS o
           WHERE o.shop_id = :shop_id AND o.id = :order_id
             AND (o.cancelled_at IS NOT NULL
                  OR EXISTS (SELECT FROM refunds AS r
                             WHERE r.shop_id = o.shop_id
                               AND r.order_shopify_id = o.shopify_id))
       ) AS refunded_or_cancelled
"""
_EARN_STATE = Prepared(sql(f"SELECT {_EARN_STATE_COLUMNS}"))
# The account's lock and the earn state in one round trip. The state is read with the
# statement's snapshot, from before any wait for the account's lock, which guards none of
# it: the order's earn and its refunds and cancellation are written under the order's lock,
# held here since `start_paid_order`; a digest requested meanwhile (by a notices run holding
# the account) is read as not yet requested, which only calls that job once more.
_LOCK_FOR_EARN = Prepared(sql(lock_account_sql(_EARN_STATE_COLUMNS)))


@dataclass(frozen=True)
class PaidStart:
    """What `start_paid_order` found: the shop's stored settings (as stored: the caller
    validates them), and whether the order has an unclaimed guest hold (locked)."""

    stored_settings: dict[str, Any]
    guest_hold: bool


async def start_paid_order(
    session: AsyncSession, *, shop_id: int, order_id: int, shopify_order_id: int
) -> PaidStart:
    """One round trip for what a paid order's earn begins with: the settings, the guest hold
    (locked FOR UPDATE) and then the order's lock, held until the transaction ends."""
    await session.flush()  # what the session holds unwritten, as its own execute would
    row = await _PAID_START.fetchrow(
        await begun_driver(session),
        shop_id=shop_id,
        order_id=order_id,
        order_lock=order_lock_key(shop_id, shopify_order_id),
    )
    if row is None:  # pragma: no cover - a SELECT without FROM returns its one row
        raise RuntimeError("the paid order's first statement returned no row")
    stored = json.loads(row["settings"]) if row["settings"] is not None else {}
    return PaidStart(stored_settings=dict(stored), guest_hold=row["guest_id"] is not None)


async def earn_locked_order(
    session: AsyncSession,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    order_id: int,
    customer_id: int,
    eligible_subtotal: Decimal,
    now: datetime,
) -> int | None:
    """`earn_for_order` for a caller that already holds the order's lock (`start_paid_order`):
    the account's lock, one read of the order's state, then the earn (once) and what its
    refunds and cancellation take back. The new entry's id, or None."""
    if not (settings.enabled and settings.per_currency.enabled):
        return None
    state_params = {
        "order_id": order_id,
        "scenario": content.PROGRAM_KEY,
        "digest_step": content.POINTS_DIGEST,
    }
    account, state = await lock_account_reading(
        session, _LOCK_FOR_EARN, shop_id, customer_id, **state_params
    )
    if account is None:  # an account created meanwhile by another transaction: two reads
        account = await lock_account(session, shop_id, customer_id)
        state = await _EARN_STATE.fetchrow(
            await begun_driver(session), shop_id=shop_id, customer_id=customer_id, **state_params
        )
    if state is None:  # pragma: no cover - a SELECT without FROM returns its one row
        raise RuntimeError("the order's earn state returned no row")
    rate = settings.per_currency.points * multiplier_of(settings, account.tier)
    points = earned_points(eligible_subtotal, rate)
    entry_id = None
    if points > 0 and not state["has_earn"]:
        appended = await append_unannounced(
            session,
            account,
            Movement(
                kind="earn",
                delta=points,
                source_type="order",
                source_id=str(order_id),
                order_id=order_id,
                amount=eligible_subtotal,
                rate=rate,
                available_at=now + timedelta(days=settings.pending_days),
                actor=SYSTEM,
            ),
            now,
        )
        if appended is not None:
            entry_id = appended.id
            job = notices_after_gain(
                settings,
                shop_id=shop_id,
                customer_id=customer_id,
                now=now,
                spendable_before=account.balance - account.pending,
                spendable_after=appended.balance - appended.pending,
                reward_notified_cost=appended.reward_notified_cost,
                last_digest_at=state["last_digest_at"],
            )
            if job is not None:
                await defer_notices(session, account, job, now)
    if state["refunded_or_cancelled"]:
        await take_back(session, shop_id=shop_id, order_id=order_id, now=now)
    return entry_id


async def write_earn(
    session: AsyncSession,
    account: Account,
    *,
    order_id: int,
    points: int,
    amount: Decimal,
    rate: Decimal,
    available_at: datetime,
    now: datetime,
) -> int | None:
    """The earn of an order whose points are already computed (guest points being credited
    keep the rate of the day they were paid). The caller holds the order's lock. An order
    earns once, whoever it names: one moved to another customer in Shopify keeps its earn
    where it was (verify reports it) rather than paying twice."""
    entry_id = None
    if points > 0 and not await _has_earn(session, account.shop_id, order_id):
        entry_id = await append(
            session,
            account,
            Movement(
                kind="earn",
                delta=points,
                source_type="order",
                source_id=str(order_id),
                order_id=order_id,
                amount=amount,
                rate=rate,
                available_at=available_at,
            ),
            now,
        )
    # Only a refund or a cancellation gives anything to take back: an order with neither (the
    # usual paid order) is spared take_back's reads, which would find nothing to write.
    if await _refunded_or_cancelled(session, account.shop_id, order_id):
        await take_back(session, shop_id=account.shop_id, order_id=order_id, now=now)
    return entry_id


async def _has_earn(session: AsyncSession, shop_id: int, order_id: int) -> bool:
    found = await session.scalar(
        select(PointsLedgerEntry.id).where(
            PointsLedgerEntry.shop_id == shop_id,
            PointsLedgerEntry.order_id == order_id,
            PointsLedgerEntry.kind == "earn",
            PointsLedgerEntry.source_type == "order",
        )
    )
    return found is not None


async def _refunded_or_cancelled(session: AsyncSession, shop_id: int, order_id: int) -> bool:
    """One read: the order is cancelled, or a refund of it is recorded (in this transaction
    or committed: the caller holds the order's lock, which a refund's take-back takes too)."""
    refunded = (
        select(Refund.id)
        .where(Refund.shop_id == Order.shop_id, Refund.order_shopify_id == Order.shopify_id)
        .exists()
    )
    found = await session.scalar(
        select(Order.id).where(
            Order.shop_id == shop_id,
            Order.id == order_id,
            (Order.cancelled_at.is_not(None)) | refunded,
        )
    )
    return found is not None


async def _earn_of(session: AsyncSession, shop_id: int, order_id: int) -> Earn | None:
    row = (
        await session.execute(
            select(
                PointsLedgerEntry.id,
                PointsLedgerEntry.customer_id,
                PointsLedgerEntry.delta,
                PointsLedgerEntry.amount,
                PointsLedgerEntry.rate,
                PointsLedgerEntry.available_at,
            ).where(
                PointsLedgerEntry.shop_id == shop_id,
                PointsLedgerEntry.order_id == order_id,
                PointsLedgerEntry.kind == "earn",
                PointsLedgerEntry.source_type == "order",
            )
        )
    ).one_or_none()
    if row is None:
        return None
    edits = (
        await session.execute(
            select(
                func.coalesce(func.sum(PointsLedgerEntry.delta), 0),
                func.coalesce(func.sum(PointsLedgerEntry.amount), 0),
            ).where(
                PointsLedgerEntry.shop_id == shop_id,
                PointsLedgerEntry.customer_id == row.customer_id,
                PointsLedgerEntry.kind == "earn",
                PointsLedgerEntry.source_type == EDIT_SOURCE,
                PointsLedgerEntry.reverses_id == row.id,
            )
        )
    ).one()
    return Earn(
        row.id,
        row.customer_id,
        row.delta + int(edits[0]),
        (row.amount or Decimal(0)) + Decimal(edits[1] or 0),
        row.available_at,
        row.rate or Decimal(0),
    )


def edited_points(earn: Earn, added: Decimal) -> int:
    """The points an edit adding `added` to the counted subtotal brings: the order's earn at
    the original rate over the new subtotal, less what it holds already."""
    return earned_points(earn.amount + added, earn.rate) - earned_points(earn.amount, earn.rate)


async def apply_edit(
    session: AsyncSession,
    *,
    shop_id: int,
    order_id: int,
    edit_id: int,
    added_subtotal: Decimal,
    now: datetime,
) -> int | None:
    """Re-price the order's earn for an edit, once per edit. The customer whose earn it is,
    or None when the order earned nothing (the program off, a guest's held points: their
    earn counts what the order held when paid)."""
    await lock_order_by_id(session, shop_id, order_id)
    earn = await _earn_of(session, shop_id, order_id)
    if earn is None:
        return None
    account = await lock_account(session, shop_id, earn.customer_id)
    await append(
        session,
        account,
        Movement(
            kind="earn",
            delta=edited_points(earn, added_subtotal),
            source_type=EDIT_SOURCE,
            source_id=str(edit_id),
            order_id=order_id,
            amount=added_subtotal,
            rate=earn.rate,
            reverses_id=earn.id,
            available_at=earn.available_at if earn.available_at > now else now,
        ),
        now,
    )
    # A refund or cancellation already recorded now reverses the re-priced earn.
    await take_back(session, shop_id=shop_id, order_id=order_id, now=now)
    return earn.customer_id


async def take_back(
    session: AsyncSession, *, shop_id: int, order_id: int, now: datetime
) -> int | None:
    """Bring the order's clawbacks up to what its refunds and cancellation imply. Idempotent:
    each refund's clawback and the cancellation's are written once, by their natural key.
    The customer whose earn it is, or None when the order earned nothing."""
    await lock_order_by_id(session, shop_id, order_id)
    earn = await _earn_of(session, shop_id, order_id)
    if earn is None:
        return None  # nothing earned (yet): an earn written later takes these back itself
    account = await lock_account(session, shop_id, earn.customer_id)
    clawbacks = (
        await session.execute(
            select(
                PointsLedgerEntry.source_type, PointsLedgerEntry.source_id, PointsLedgerEntry.delta
            ).where(
                PointsLedgerEntry.shop_id == shop_id,
                PointsLedgerEntry.customer_id == earn.customer_id,
                PointsLedgerEntry.kind == "clawback",
                PointsLedgerEntry.reverses_id == earn.id,
            )
        )
    ).all()
    remaining = earn.delta + sum(c.delta for c in clawbacks)
    clawed_by_refunds = -sum(c.delta for c in clawbacks if c.source_type == "refund")
    done = {c.source_id for c in clawbacks if c.source_type == "refund"}
    order = (
        await session.execute(
            select(Order.shopify_id, Order.cancelled_at).where(
                Order.shop_id == shop_id, Order.id == order_id
            )
        )
    ).one()
    refunds = (
        await session.execute(
            select(Refund.id, Refund.line_items)
            .where(Refund.shop_id == shop_id, Refund.order_shopify_id == order.shopify_id)
            .order_by(Refund.id)
        )
    ).all()
    # The subtotal refunds already taken back counted, then each new refund on top, in order.
    running = sum(
        (refunded_counted(r.line_items) for r in refunds if str(r.id) in done), Decimal(0)
    )
    for refund in refunds:
        if str(refund.id) in done:
            continue
        subtotal = refunded_counted(refund.line_items)
        running += subtotal
        points = min(refund_target(earn.delta, earn.amount, running) - clawed_by_refunds, remaining)
        if points <= 0:
            continue
        await append(
            session,
            account,
            Movement(
                kind="clawback",
                delta=-points,
                source_type="refund",
                source_id=str(refund.id),
                order_id=order_id,
                amount=subtotal,
                reverses_id=earn.id,
                # Pending points go back as pending: the clawback matures with its earn.
                available_at=earn.available_at if earn.available_at > now else now,
            ),
            now,
        )
        clawed_by_refunds += points
        remaining -= points
    if order.cancelled_at is not None and remaining > 0:
        await append(
            session,
            account,
            Movement(
                kind="clawback",
                delta=-remaining,
                source_type="order",
                source_id=str(order_id),
                order_id=order_id,
                # What the cancellation un-spent, for tiers on amount spent.
                amount=max(earn.amount - running, Decimal(0)),
                reverses_id=earn.id,
                available_at=earn.available_at if earn.available_at > now else now,
            ),
            now,
        )
    return earn.customer_id
