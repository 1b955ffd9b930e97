"""`boomerang loyalty verify`: proves the ledger has not drifted. For every customer, the cached
balance equals the sum of the ledger (and the cached pending part the sum not yet spendable at
its time); for every order that earned, the earn equals its counted subtotal times its rate, it
went to the order's customer (or to the customer its guest email became), and what was taken
back equals what the order's refunds and cancellation imply, computed as the ledger does; and
no guest points stay held under the email of a known customer; and every redemption's debit
matches it (one `redeem` entry of its cost), an issued one names its code, a returned one has
its points back, and none has stayed pending longer than its sweeper allows; every expiry took
away no more than the customer held (the ledger's sum up to it stays at or above zero, an
`expire` entry is negative). Birthday points need no check of their own: their natural key
(source: the year) makes a second one that year impossible."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.loyalty.ledger import pending_at
from app.loyalty.orders import EDIT_SOURCE, earned_points, refund_target, refunded_counted
from app.models import (
    Customer,
    LoyaltyAccount,
    LoyaltyGuestPoints,
    LoyaltyRedemption,
    Order,
    PointsLedgerEntry,
    Refund,
)


@dataclass(frozen=True)
class Difference:
    shop_id: int
    customer_id: int
    what: str

    def __str__(self) -> str:
        return f"shop {self.shop_id} customer {self.customer_id}: {self.what}"


@dataclass
class Report:
    customers: int = 0
    entries: int = 0
    orders: int = 0
    redemptions: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


async def verify(session: AsyncSession) -> Report:
    report = Report()
    await _check_caches(session, report)
    await _check_orders(session, report)
    await _check_redemptions(session, report, now=datetime.now(UTC))
    await _check_expiries(session, report)
    return report


async def _check_expiries(session: AsyncSession, report: Report) -> None:
    ledger = PointsLedgerEntry
    expiries = aliased(PointsLedgerEntry)
    held = (
        select(func.coalesce(func.sum(ledger.delta), 0))
        .where(
            ledger.shop_id == expiries.shop_id,
            ledger.customer_id == expiries.customer_id,
            ledger.id < expiries.id,
        )
        .scalar_subquery()
    )
    for row in await session.execute(
        select(
            expiries.shop_id, expiries.customer_id, expiries.id, expiries.delta, held.label("held")
        )
        .where(expiries.kind == "expire")
        .order_by(expiries.shop_id, expiries.id)
    ):
        if row.delta >= 0 or -row.delta > max(int(row.held), 0):
            report.differences.append(
                Difference(
                    row.shop_id,
                    row.customer_id,
                    f"expiry {row.id} took {-row.delta} points of the {row.held} held",
                )
            )


async def _check_caches(session: AsyncSession, report: Report) -> None:
    ledger = PointsLedgerEntry
    account = LoyaltyAccount
    sums = (
        select(
            ledger.shop_id,
            ledger.customer_id,
            func.count().label("entries"),
            func.sum(ledger.delta).label("total"),
        )
        .group_by(ledger.shop_id, ledger.customer_id)
        .subquery()
    )
    pending = (
        select(func.coalesce(func.sum(ledger.delta), 0))
        .where(
            ledger.shop_id == account.shop_id,
            ledger.customer_id == account.customer_id,
            pending_at(account.pending_as_of),
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(
            account.shop_id,
            account.customer_id,
            account.balance,
            account.pending,
            account.pending_as_of,
            func.coalesce(sums.c.entries, 0).label("entries"),
            func.coalesce(sums.c.total, 0).label("total"),
            pending.label("pending_sum"),
        )
        .select_from(account)
        .outerjoin(
            sums,
            and_(sums.c.shop_id == account.shop_id, sums.c.customer_id == account.customer_id),
        )
        .order_by(account.shop_id, account.customer_id)
    )
    for row in rows:
        report.customers += 1
        report.entries += row.entries
        if row.balance != row.total:
            report.differences.append(
                Difference(
                    row.shop_id,
                    row.customer_id,
                    f"cached balance {row.balance} but the ledger sums to {row.total}",
                )
            )
        expected_pending = row.pending_sum if row.pending_as_of is not None else 0
        if row.pending != expected_pending:
            report.differences.append(
                Difference(
                    row.shop_id,
                    row.customer_id,
                    f"cached pending {row.pending} but the ledger holds {expected_pending} "
                    f"not yet spendable at {row.pending_as_of}",
                )
            )
    orphans = await session.execute(
        select(sums.c.shop_id, sums.c.customer_id, sums.c.entries, sums.c.total).where(
            ~select(account.id)
            .where(account.shop_id == sums.c.shop_id, account.customer_id == sums.c.customer_id)
            .exists()
        )
    )
    for row in orphans:
        report.customers += 1
        report.entries += row.entries
        report.differences.append(
            Difference(
                row.shop_id,
                row.customer_id,
                f"{row.entries} ledger entries (sum {row.total}) but no cached balance",
            )
        )


async def _check_orders(session: AsyncSession, report: Report) -> None:
    ledger = PointsLedgerEntry
    earns = (
        await session.execute(
            select(
                ledger.id,
                ledger.shop_id,
                ledger.customer_id,
                ledger.order_id,
                ledger.delta,
                ledger.amount,
                ledger.rate,
                Order.shopify_id.label("order_shopify_id"),
                Order.customer_id.label("order_customer_id"),
                Order.cancelled_at,
                LoyaltyGuestPoints.claimed_customer_id,
            )
            .outerjoin(Order, and_(Order.id == ledger.order_id, Order.shop_id == ledger.shop_id))
            .outerjoin(
                LoyaltyGuestPoints,
                and_(
                    LoyaltyGuestPoints.shop_id == ledger.shop_id,
                    LoyaltyGuestPoints.order_id == ledger.order_id,
                ),
            )
            .where(ledger.kind == "earn", ledger.source_type == "order")
            .order_by(ledger.shop_id, ledger.id)
        )
    ).all()
    clawed: dict[int, int] = defaultdict(int)
    for reverses_id, total in await session.execute(
        select(func.coalesce(ledger.reverses_id, 0), func.sum(ledger.delta))
        .where(ledger.kind == "clawback", ledger.reverses_id.is_not(None))
        .group_by(ledger.reverses_id)
    ):
        clawed[int(reverses_id)] = -int(total)
    # Edits re-price their order's earn (app/loyalty/orders.py): points and subtotal added to
    # the original's, at the original's rate.
    edited: dict[int, tuple[int, Decimal, int]] = {}
    original = aliased(PointsLedgerEntry)
    for reverses_id, points, amount, off_rate in await session.execute(
        select(
            func.coalesce(ledger.reverses_id, 0),
            func.sum(ledger.delta),
            func.coalesce(func.sum(ledger.amount), 0),
            func.count().filter(
                ledger.rate.is_distinct_from(
                    select(original.rate).where(original.id == ledger.reverses_id).scalar_subquery()
                )
            ),
        )
        .where(ledger.kind == "earn", ledger.source_type == EDIT_SOURCE)
        .group_by(ledger.reverses_id)
    ):
        edited[int(reverses_id)] = (int(points), Decimal(amount or 0), int(off_rate))
    refunded: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for shop_id, order_shopify_id, line_items in await session.execute(
        select(Refund.shop_id, Refund.order_shopify_id, Refund.line_items)
    ):
        refunded[(shop_id, order_shopify_id)] += refunded_counted(line_items)

    for earn in earns:
        report.orders += 1

        def differs(
            what: str,
            shop_id: int = earn.shop_id,
            customer_id: int = earn.customer_id,
            order_id: int | None = earn.order_id,
        ) -> None:
            report.differences.append(Difference(shop_id, customer_id, f"order {order_id}: {what}"))

        if earn.order_shopify_id is None:
            differs("earned points but the order is not in the order history")
            continue
        edit_points, edit_amount, off_rate = edited.pop(earn.id, (0, Decimal(0), 0))
        amount = (earn.amount or Decimal(0)) + edit_amount
        delta = earn.delta + edit_points
        if earn.rate is None or delta != earned_points(amount, earn.rate):
            edits = " with its edits" if edit_amount or edit_points else ""
            differs(f"earned {delta}{edits} but {amount} at rate {earn.rate} makes another number")
        if off_rate:
            differs(f"{off_rate} edits of its earn used another rate than the original's")
        owner = earn.order_customer_id or earn.claimed_customer_id
        if owner != earn.customer_id:
            differs(f"earned by customer {earn.customer_id} but the order is customer {owner}'s")
        if earn.cancelled_at is not None:
            expected = delta
            why = "the order was cancelled"
        else:
            subtotal = refunded[(earn.shop_id, earn.order_shopify_id)]
            expected = refund_target(delta, amount, subtotal)
            why = f"its refunds returned {subtotal} of {amount}"
        if clawed[earn.id] != expected:
            differs(f"{clawed[earn.id]} points taken back, but {why}: {expected} expected")

    for reverses_id in edited:
        report.differences.append(
            Difference(0, 0, f"an order edit's earn names no order earn {reverses_id}")
        )
    stray = await session.execute(
        select(ledger.shop_id, ledger.customer_id, ledger.id).where(
            ledger.kind == "clawback", ledger.reverses_id.is_(None)
        )
    )
    for shop_id, customer_id, entry_id in stray:
        report.differences.append(
            Difference(shop_id, customer_id, f"clawback {entry_id} reverses no earn")
        )
    forgotten = await session.execute(
        select(LoyaltyGuestPoints.shop_id, LoyaltyGuestPoints.order_id, Customer.id)
        .join(
            Customer,
            (Customer.shop_id == LoyaltyGuestPoints.shop_id)
            & (func.lower(Customer.email) == func.lower(LoyaltyGuestPoints.email))
            & Customer.redacted_at.is_(None),
        )
        .where(LoyaltyGuestPoints.claimed_customer_id.is_(None), LoyaltyGuestPoints.points > 0)
    )
    for unclaimed in forgotten:
        report.differences.append(
            Difference(
                unclaimed.shop_id,
                unclaimed.id,
                f"guest points of order {unclaimed.order_id} are held under this customer's email "
                "but were never credited",
            )
        )
    unpaid = await session.execute(
        select(
            LoyaltyGuestPoints.shop_id,
            LoyaltyGuestPoints.claimed_customer_id,
            LoyaltyGuestPoints.order_id,
        ).where(
            LoyaltyGuestPoints.claimed_customer_id.is_not(None),
            LoyaltyGuestPoints.points > 0,
            ~select(ledger.id)
            .where(
                ledger.shop_id == LoyaltyGuestPoints.shop_id,
                ledger.order_id == LoyaltyGuestPoints.order_id,
                ledger.kind == "earn",
            )
            .exists(),
        )
    )
    for held in unpaid:
        report.differences.append(
            Difference(
                held.shop_id,
                held.claimed_customer_id or 0,
                f"guest points of order {held.order_id} credited but never written to the ledger",
            )
        )


# A redemption pending longer than this is reported: its sweeper (every minute, after two)
# should have settled it unless Shopify has been unreachable all along.
PENDING_TOO_LONG = timedelta(hours=1)


async def _check_redemptions(session: AsyncSession, report: Report, *, now: datetime) -> None:
    ledger = PointsLedgerEntry
    debits = {
        int(source_id): (int(delta), int(count))
        for source_id, delta, count in await session.execute(
            select(ledger.source_id, func.sum(ledger.delta), func.count())
            .where(ledger.kind == "redeem", ledger.source_type == "redemption")
            .group_by(ledger.source_id)
        )
    }
    returns = {
        int(source_id): int(delta)
        for source_id, delta in await session.execute(
            select(ledger.source_id, func.sum(ledger.delta))
            .where(ledger.source_type == "redemption_return")
            .group_by(ledger.source_id)
        )
    }
    rows = await session.execute(
        select(
            LoyaltyRedemption.id,
            LoyaltyRedemption.shop_id,
            LoyaltyRedemption.customer_id,
            LoyaltyRedemption.cost,
            LoyaltyRedemption.status,
            LoyaltyRedemption.code,
            LoyaltyRedemption.store_credit_transaction_id,
            LoyaltyRedemption.created_at,
        ).order_by(LoyaltyRedemption.shop_id, LoyaltyRedemption.id)
    )
    seen: set[int] = set()
    for row in rows:
        report.redemptions += 1
        seen.add(row.id)

        def differ(what: str, row: Any = row) -> None:
            report.differences.append(
                Difference(row.shop_id, row.customer_id, f"redemption {row.id}: {what}")
            )

        debit, count = debits.get(row.id, (0, 0))
        if (debit, count) != (-row.cost, 1):
            differ(f"costs {row.cost} but its debit entries sum to {debit} ({count} entries)")
        back = returns.get(row.id, 0)
        if row.status == "returned" and back != row.cost:
            differ(f"returned, but {back} of its {row.cost} points came back")
        if row.status != "returned" and back != 0:
            differ(f"{row.status}, yet {back} points came back")
        if row.status == "issued" and not (row.code or row.store_credit_transaction_id):
            differ("issued without a code or a store credit transaction")
        if row.status == "pending" and row.created_at < now - PENDING_TOO_LONG:
            differ(f"still pending since {row.created_at.isoformat()}: points spent, no code")
    for source_id, (debit, _count) in debits.items():
        if source_id not in seen:
            report.differences.append(
                Difference(0, 0, f"a redeem debit of {debit} names no redemption {source_id}")
            )
