"""Points expire after N months of inactivity (the shop's `expiry` rule, off by default): a
customer who has neither earned nor spent (earn, bonus, redeem, adjust) for `inactive_months`
loses their spendable points in one `expire` ledger entry. Its source is the last activity's
moment, so one stretch of inactivity expires once (replays and a second worker write nothing)
and a customer active again starts a new stretch. `warning_days` before, they are warned
(app/loyalty/notices.py), once per stretch too; and never less: a customer who could be
emailed but was not warned yet (the rule just turned on over long-dormant accounts) is warned
first and keeps their points `warning_days` more."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from app.i18n import Text
from app.loyalty import content
from app.loyalty.ledger import Movement, append, lock_account, pending_sum
from app.loyalty.settings import LoyaltySettings
from app.loyalty.windows import months_before
from app.models import Customer, LoyaltyAccount, Message, PointsLedgerEntry

# What counts as activity: earning or spending, by the customer or for them. Clawbacks and
# expiries are not the customer's doing.
ACTIVITY_KINDS = ("earn", "bonus", "redeem", "adjust")
SOURCE = "inactivity"
POINTS_EXPIRED = "points_expired"
REASONS: dict[str, Text] = {
    POINTS_EXPIRED: Text(
        en="Points expired after a period without earning or spending",
        fr="Points expirés après une période sans gain ni utilisation",
    ),
}


def months_after(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def stretch_key(last_activity: datetime) -> str:
    """The source id of one stretch of inactivity: its start, to the microsecond."""
    return str(int(last_activity.timestamp() * 1_000_000))


@dataclass(frozen=True)
class Dormant:
    customer_id: int
    last_activity: datetime
    spendable: int

    def expires_at(self, settings: LoyaltySettings, now: datetime) -> datetime:
        """When the points go, warned today: at the rule's date, or `warning_days` from now
        if that is later."""
        due = months_after(self.last_activity, settings.expiry.inactive_months)
        return max(due, now + timedelta(days=settings.expiry.warning_days))


def _last_activity(shop_id: int) -> ScalarSelect[datetime]:
    ledger = PointsLedgerEntry
    return (
        select(func.max(ledger.created_at))
        .where(
            ledger.shop_id == shop_id,
            ledger.customer_id == LoyaltyAccount.customer_id,
            ledger.kind.in_(ACTIVITY_KINDS),
        )
        .scalar_subquery()
    )


async def dormant_page(
    session: AsyncSession,
    shop_id: int,
    *,
    inactive_since: datetime,
    now: datetime,
    after_customer_id: int = 0,
    limit: int = 500,
) -> list[Dormant]:
    """Accounts holding points whose last activity is before `inactive_since`, by customer
    id after `after_customer_id`."""
    last = _last_activity(shop_id)
    rows = await session.execute(
        select(LoyaltyAccount.customer_id, last.label("last"), LoyaltyAccount.balance)
        .where(
            LoyaltyAccount.shop_id == shop_id,
            LoyaltyAccount.customer_id > after_customer_id,
            LoyaltyAccount.balance > 0,
            last < inactive_since,
        )
        .order_by(LoyaltyAccount.customer_id)
        .limit(limit)
    )
    found = []
    for row in rows:
        pending = await session.scalar(select(pending_sum(shop_id, row.customer_id, now)))
        found.append(Dormant(row.customer_id, row.last, int(row.balance) - int(pending or 0)))
    return found


async def expire_account(
    session: AsyncSession, settings: LoyaltySettings, shop_id: int, customer_id: int, now: datetime
) -> int | None:
    """Expire the customer's spendable points if, under the account's lock, they are still
    inactive past the rule's months. The `expire` entry's id, or None."""
    if not (settings.enabled and settings.expiry.enabled):
        return None
    account = await lock_account(session, shop_id, customer_id)
    ledger = PointsLedgerEntry
    last = await session.scalar(
        select(func.max(ledger.created_at)).where(
            ledger.shop_id == shop_id,
            ledger.customer_id == customer_id,
            ledger.kind.in_(ACTIVITY_KINDS),
        )
    )
    if last is None or last >= months_before(now, settings.expiry.inactive_months):
        return None
    pending = await session.scalar(select(pending_sum(shop_id, customer_id, now)))
    spendable = account.balance - int(pending or 0)
    if spendable <= 0:
        return None
    if settings.notices.expiry_warning and not await _warned_long_enough(
        session, settings, shop_id, customer_id, last, now
    ):
        return None
    return await append(
        session,
        account,
        Movement(
            kind="expire",
            delta=-spendable,
            source_type=SOURCE,
            source_id=stretch_key(last),
            reason=POINTS_EXPIRED,
            available_at=now,
        ),
        now,
    )


async def _warned_long_enough(
    session: AsyncSession,
    settings: LoyaltySettings,
    shop_id: int,
    customer_id: int,
    last_activity: datetime,
    now: datetime,
) -> bool:
    """Whether this stretch's warning was queued `warning_days` ago (whatever became of it:
    sent, suppressed for want of consent, drafted), or no warning can reach the customer."""
    warned = await session.scalar(
        select(Message.requested_at).where(
            Message.shop_id == shop_id,
            Message.customer_id == customer_id,
            Message.scenario == content.PROGRAM_KEY,
            Message.step == content.EXPIRY_WARNING,
            Message.subject_key == warning_key(last_activity),
        )
    )
    if warned is not None:
        return bool(warned <= now - timedelta(days=settings.expiry.warning_days))
    reachable = await session.scalar(
        select(Customer.id).where(
            Customer.id == customer_id,
            Customer.email.is_not(None),
            Customer.redacted_at.is_(None),
        )
    )
    return reachable is None


def warning_key(last_activity: datetime) -> str:
    """The expiry warning's outbox subject: one per stretch of inactivity."""
    return f"expiry:{stretch_key(last_activity)}"


def warning_window(settings: LoyaltySettings, now: datetime) -> tuple[datetime, datetime]:
    """Last activities in [start, end) expire within the next `warning_days`: warn them."""
    end = months_before(
        now + timedelta(days=settings.expiry.warning_days), settings.expiry.inactive_months
    )
    start = months_before(now, settings.expiry.inactive_months)
    return start, end
