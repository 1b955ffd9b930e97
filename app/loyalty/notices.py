"""The program's emails, decided from the account as it stands and queued in the outbox (which
applies the merchant's mode for `loyalty`, consent, unsubscribes, the frequency cap and quiet
hours, as for every scenario). Each has a natural key, so a job run twice queues nothing more:

- tier reached: when the account's tier ranks above the last one announced (`tier_notified`,
  lowered without an email when the customer drops, so reaching it again is news again);
- enough points for a reward: when the dearest reward the spendable points cover costs more
  than the last one announced (`reward_notified_cost`, lowered when the balance falls below),
  so once per threshold crossing;
- points earned, as a digest: at most one per `digest_hours`, adding up every earning since
  the previous digest (`until` in its context);
- the expiry warning, from the daily pass (app/loyalty/expiry.py), once per inactivity stretch.

Nothing here commits; the caller's job owns the transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty import content, shopper
from app.loyalty.expiry import Dormant, warning_key
from app.loyalty.ledger import lock_account, pending_sum
from app.loyalty.settings import LoyaltySettings, Tier
from app.messaging.config import MessagingConfig
from app.messaging.i18n import Locale, resolve_locale
from app.messaging.outbox import enqueue_message
from app.models import Customer, LoyaltyAccount, Message, PointsLedgerEntry, Shop

EARNING_KINDS = ("earn", "bonus")


@dataclass
class NoticeRun:
    queued: list[int] = field(default_factory=list)  # steps queued
    # When the next digest may go, if earnings wait for it.
    digest_due_at: datetime | None = None


def _rank(settings: LoyaltySettings, key: str | None) -> int:
    for index, tier in enumerate(settings.tiers):
        if tier.key == key:
            return index + 1
    return 0


def _tier(settings: LoyaltySettings, key: str | None) -> Tier | None:
    return next((tier for tier in settings.tiers if tier.key == key), None)


def _stamp(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000))


@dataclass(frozen=True)
class _Recipient:
    shop: Shop
    customer: Customer
    locale: Locale


async def _recipient(session: AsyncSession, shop_id: int, customer_id: int) -> _Recipient | None:
    shop = await session.get(Shop, shop_id)
    customer = await session.get(Customer, customer_id)
    if shop is None or customer is None or customer.shop_id != shop_id:
        return None
    if customer.redacted_at is not None or not customer.email:
        return None
    return _Recipient(shop, customer, resolve_locale(customer.locale, shop.locale))


async def _queue(
    session: AsyncSession,
    config: MessagingConfig,
    who: _Recipient,
    step: int,
    subject_key: str,
    context: dict[str, Any],
    now: datetime,
) -> Message:
    return await enqueue_message(
        session,
        config,
        shop=who.shop,
        customer=who.customer,
        scenario=content.PROGRAM_KEY,
        step=step,
        subject_key=subject_key,
        context=context,
        scheduled_at=now,
        priority=content.PRIORITY[step],
    )


async def notify_customer(
    session: AsyncSession,
    config: MessagingConfig,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    customer_id: int,
    now: datetime,
) -> NoticeRun:
    """Queue whichever of tier reached, reward reachable and the points digest are due for
    the customer now."""
    run = NoticeRun()
    if not settings.enabled:
        return run
    who = await _recipient(session, shop_id, customer_id)
    if who is None:
        return run
    account = await lock_account(session, shop_id, customer_id)
    row = (
        await session.execute(
            select(
                LoyaltyAccount.tier_notified,
                LoyaltyAccount.reward_notified_cost,
                LoyaltyAccount.tier_changed_at,
                pending_sum(shop_id, customer_id, now).label("pending"),
            ).where(LoyaltyAccount.id == account.id)
        )
    ).one()
    spendable = account.balance - int(row.pending)
    tier = _tier(settings, account.tier)
    base: dict[str, Any] = {
        "points_balance": account.balance,
        "points_spendable": spendable,
        "tier": shopper.tier_name(tier, who.locale) if tier else "",
    }
    changes: dict[str, Any] = {}

    rank, told = _rank(settings, account.tier), _rank(settings, row.tier_notified)
    if rank > told and tier is not None:
        if settings.notices.tier_reached:
            changed = row.tier_changed_at or now
            await _queue(
                session,
                config,
                who,
                content.TIER_REACHED,
                f"tier:{tier.key}:{_stamp(changed)}",
                {**base, "tier_multiplier": f"{tier.multiplier.normalize():f}"},
                now,
            )
            run.queued.append(content.TIER_REACHED)
        changes["tier_notified"] = tier.key
    elif rank < told:
        changes["tier_notified"] = account.tier

    told_cost = row.reward_notified_cost
    if told_cost > 0 and await _fell_below(session, shop_id, customer_id, told_cost):
        told_cost = 0  # spent below the announced threshold since: crossing it again is news
    affordable = shopper.redeemable(settings, spendable)
    top = max(affordable, key=lambda reward: reward.cost) if affordable else None
    top_cost = top.cost if top else 0
    if top is not None and top_cost > told_cost:
        if settings.notices.reward_reachable:
            last_entry = await session.scalar(
                select(func.max(PointsLedgerEntry.id)).where(
                    PointsLedgerEntry.shop_id == shop_id,
                    PointsLedgerEntry.customer_id == customer_id,
                )
            )
            await _queue(
                session,
                config,
                who,
                content.REWARD_REACHABLE,
                f"reward:{top.key}:{last_entry}",
                {
                    **base,
                    "entry_id": last_entry,
                    "reward": shopper.reward_label(top, who.shop.currency).in_locale(who.locale),
                    "reward_cost": top.cost,
                },
                now,
            )
            run.queued.append(content.REWARD_REACHABLE)
        changes["reward_notified_cost"] = top_cost
    elif top_cost != row.reward_notified_cost:
        changes["reward_notified_cost"] = top_cost

    if settings.notices.points_digest:
        run.digest_due_at = await _digest(session, config, settings, who, base, now, run)
    waiting = still_waiting(account.notices_due_at, run.digest_due_at, now)
    if waiting != account.notices_due_at:
        changes["notices_due_at"] = waiting
    if changes:
        await session.execute(
            update(LoyaltyAccount).where(LoyaltyAccount.id == account.id).values(**changes)
        )
    return run


def still_waiting(
    due_at: datetime | None, next_run: datetime | None, now: datetime
) -> datetime | None:
    """The account's `notices_due_at` once this run is done: the run its caller defers for a
    waiting digest (`next_run`, None if none), or a job still to come that runs sooner
    (deferred for a later moment than this run's by a gain meanwhile)."""
    later = due_at if due_at is not None and due_at > now else None
    moments = [moment for moment in (later, next_run) if moment is not None]
    return min(moments, default=None)


async def _fell_below(
    session: AsyncSession, shop_id: int, customer_id: int, threshold: int
) -> bool:
    """Whether the balance went below `threshold` after the last reward email (its
    `entry_id`: the ledger as it stood then), however briefly: a debit and a new gain between
    two runs of the job still count as a crossing."""
    last = await session.scalar(
        select(Message.context["entry_id"].as_integer())
        .where(
            Message.shop_id == shop_id,
            Message.customer_id == customer_id,
            Message.scenario == content.PROGRAM_KEY,
            Message.step == content.REWARD_REACHABLE,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last is None:
        return False
    ledger = PointsLedgerEntry
    running = (
        select(
            ledger.id,
            func.sum(ledger.delta).over(order_by=ledger.id).label("balance"),
        )
        .where(ledger.shop_id == shop_id, ledger.customer_id == customer_id)
        .subquery()
    )
    lowest = await session.scalar(select(func.min(running.c.balance)).where(running.c.id > last))
    return lowest is not None and int(lowest) < threshold


async def _digest(
    session: AsyncSession,
    config: MessagingConfig,
    settings: LoyaltySettings,
    who: _Recipient,
    base: dict[str, Any],
    now: datetime,
    run: NoticeRun,
) -> datetime | None:
    """Queue the points digest if one is due and there is something to say; else when it
    will be due (None: nothing waits)."""
    previous = (
        await session.execute(
            select(Message.requested_at, Message.context)
            .where(
                Message.shop_id == who.shop.id,
                Message.customer_id == who.customer.id,
                Message.scenario == content.PROGRAM_KEY,
                Message.step == content.POINTS_DIGEST,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
    ).one_or_none()
    since = datetime.fromisoformat(previous.context["until"]) if previous else None
    ledger = PointsLedgerEntry
    conditions = [
        ledger.shop_id == who.shop.id,
        ledger.customer_id == who.customer.id,
        ledger.kind.in_(EARNING_KINDS),
        ledger.delta > 0,
        ledger.created_at <= now,
    ]
    if since is not None:
        conditions.append(ledger.created_at > since)
    earned, orders = (
        await session.execute(
            select(
                func.coalesce(func.sum(ledger.delta), 0), func.count(func.distinct(ledger.order_id))
            ).where(*conditions)
        )
    ).one()
    if int(earned) <= 0:
        return None
    pace = timedelta(hours=settings.notices.digest_hours)
    if previous is not None and previous.requested_at + pace > now:
        due: datetime = previous.requested_at + pace
        return due
    await _queue(
        session,
        config,
        who,
        content.POINTS_DIGEST,
        f"points:{_stamp(now)}",
        {**base, "points_earned": int(earned), "orders": int(orders), "until": now.isoformat()},
        now,
    )
    run.queued.append(content.POINTS_DIGEST)
    return None


async def warn_expiry(
    session: AsyncSession,
    config: MessagingConfig,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    dormant: Dormant,
    now: datetime,
) -> bool:
    """The warning that the customer's points expire soon, once per inactivity stretch."""
    if not (settings.enabled and settings.expiry.enabled and settings.notices.expiry_warning):
        return False
    if dormant.spendable <= 0:
        return False
    who = await _recipient(session, shop_id, dormant.customer_id)
    if who is None:
        return False
    await _queue(
        session,
        config,
        who,
        content.EXPIRY_WARNING,
        warning_key(dormant.last_activity),
        {
            "points_balance": dormant.spendable,
            "points_spendable": dormant.spendable,
            "points_expiring": dormant.spendable,
            "expires_at": dormant.expires_at(settings, now).date().isoformat(),
            "tier": "",
        },
        now,
    )
    return True
