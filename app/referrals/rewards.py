"""Qualifying and rewarding: once a referral's hold period is over, its order still paid and
neither refunded nor cancelled, it qualifies; its advocate gets points on the loyalty ledger
(once per referral: the ledger's natural key) or a single-use code from the codes service,
within the monthly cap, and is told by email with an invitation to share again. Flagged
referrals wait for the merchant's decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.i18n import Text
from app.loyalty.service import award_bonus
from app.messaging.config import MessagingConfig
from app.messaging.i18n import resolve_locale
from app.models import Customer, DiscountCode, Order, Referral, Refund, Shop
from app.queue import JobQueue
from app.queue.deferred import defer, transaction
from app.referrals.content import (
    APPROVED,
    CANCELLED,
    LOYALTY_OFF,
    MONTHLY_CAP,
    REFERRAL_POINTS,
    REFUNDED,
)
from app.referrals.jobs import reward_job
from app.referrals.messages import reward_text, send_reward
from app.referrals.records import PENDING, QUALIFIED, REWARDED, VOID
from app.referrals.settings import ReferralSettings, load_settings
from app.scenarios.modes import Mode
from app.shopify.admin.types import ShopRef, customer_gid

# An unpaid order at the end of its hold is looked at again this much later.
UNPAID_RECHECK = timedelta(days=1)
SOURCE_TYPE = "referral"
# A qualified referral whose reward code is not made this long after: its job is sent again.
STRANDED_REWARD_AFTER = timedelta(minutes=5)
# The reward code's discount title in Shopify's admin, in the shop's language (the code is
# found again by its referral's key, whatever its title).
REWARD_TITLE = Text(en="Boomerang: referral reward", fr="Boomerang : récompense de parrainage")


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# The codes service's idempotency key of a referral's reward code: this, then its id.
REWARD_KEY_PREFIX = "referral-reward:"


def _reward_key(referral_id: int) -> str:
    return f"{REWARD_KEY_PREFIX}{referral_id}"


def _cap_lock(shop_id: int, referrer_id: int) -> Select[Any]:
    """SQL: a transaction-scoped advisory lock on the advocate's monthly cap. Every decision
    to reward takes it, in a statement before the one that counts, so two workers (two
    batches, a batch and a code job, two code jobs) never both see the same room under the
    cap."""
    return select(
        func.pg_advisory_xact_lock(
            func.hashtextextended(f"referral-reward-cap:{shop_id}:{referrer_id}", 0)
        )
    )


def _waiting_for_code() -> ColumnElement[bool]:
    """A qualified referral whose reward code job is due or running: not held back by the cap
    or by the loyalty program being off (an approved one keeps its reason until rewarded)."""
    return and_(
        Referral.status == QUALIFIED,
        or_(Referral.reason.is_(None), Referral.reason == APPROVED),
    )


async def _cap_used(
    session: AsyncSession, referral: Referral, now: datetime, *, ahead_only: bool
) -> int:
    """How much of the advocate's cap for this month the referral's siblings use: those
    rewarded this month, and those qualified and waiting for their code (each will be
    rewarded when its job runs, now or later). With `ahead_only`, a waiting sibling counts
    only if it qualified first or its code is already reserved: so of too many waiting (the
    cap lowered meanwhile), the first ones are rewarded, not none."""
    waiting = _waiting_for_code()
    if ahead_only:
        reserved = (
            select(DiscountCode.id)
            .where(
                DiscountCode.shop_id == Referral.shop_id,
                DiscountCode.idempotency_key == func.concat(REWARD_KEY_PREFIX, Referral.id),
            )
            .exists()
        )
        ahead = tuple_(Referral.qualified_at, Referral.id) < tuple_(
            literal(referral.qualified_at, Referral.qualified_at.type), literal(referral.id)
        )
        waiting = and_(waiting, or_(ahead, reserved))
    count = await session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.shop_id == referral.shop_id,
            Referral.referrer_id == referral.referrer_id,
            Referral.id != referral.id,
            or_(
                and_(Referral.status == REWARDED, Referral.rewarded_at >= _month_start(now)),
                waiting,
            ),
        )
    )
    return int(count or 0)


async def _order_outcome(session: AsyncSession, referral: Referral) -> str | None:
    """VOID's reason when the order was refunded or cancelled, "unpaid", or None (qualifies)."""
    order = await session.get(Order, referral.order_id)
    if order is None:
        return CANCELLED
    if order.cancelled_at is not None:
        return CANCELLED
    refunded = await session.scalar(
        select(Refund.id)
        .where(Refund.shop_id == order.shop_id, Refund.order_shopify_id == order.shopify_id)
        .limit(1)
    )
    if refunded is not None or order.financial_status in ("refunded", "partially_refunded"):
        return REFUNDED
    if order.financial_status != "paid":
        return "unpaid"
    return None


async def qualify(
    session: AsyncSession,
    config: MessagingConfig,
    settings: ReferralSettings,
    referral: Referral,
    now: datetime,
) -> str:
    """Decide one due pending referral (row-locked by the caller); its new status."""
    outcome = await _order_outcome(session, referral)
    if outcome == "unpaid":
        referral.due_at = now + UNPAID_RECHECK
        return referral.status
    if outcome is not None:
        referral.status, referral.reason = VOID, outcome
        return VOID
    referral.status, referral.qualified_at = QUALIFIED, now
    await session.execute(_cap_lock(referral.shop_id, referral.referrer_id))
    if await _cap_used(session, referral, now, ahead_only=False) >= settings.monthly_reward_cap:
        referral.reason = MONTHLY_CAP
        return QUALIFIED
    if settings.reward_kind == "code":
        defer(session, reward_job(referral.shop_id, referral.id))
        return QUALIFIED
    entry = await award_bonus(
        session,
        shop_id=referral.shop_id,
        customer_id=referral.referrer_id,
        points=settings.reward_points,
        source_type=SOURCE_TYPE,
        source_id=str(referral.id),
        now=now,
        note=REFERRAL_POINTS,
    )
    if entry is None:
        referral.reason = LOYALTY_OFF
        return QUALIFIED
    await _rewarded(session, config, settings, referral, now, points=settings.reward_points)
    return REWARDED


async def _rewarded(
    session: AsyncSession,
    config: MessagingConfig,
    settings: ReferralSettings,
    referral: Referral,
    now: datetime,
    *,
    points: int | None = None,
    code: str | None = None,
    code_ends_at: datetime | None = None,
) -> None:
    referral.status, referral.rewarded_at, referral.reason = REWARDED, now, None
    referral.reward_kind = "code" if code else "points"
    referral.reward_points, referral.reward_code = points, code
    shop = await session.get(Shop, referral.shop_id)
    customer = await session.get(Customer, referral.referrer_id)
    if shop is None or customer is None:
        return
    await send_reward(
        session,
        config,
        settings,
        shop=shop,
        customer=customer,
        referral_id=referral.id,
        code=referral.code,
        reward=reward_text(settings, shop.currency),
        reward_code=code,
        reward_code_ends_at=code_ends_at,
        now=now,
    )


@dataclass(frozen=True)
class DueResult:
    looked_at: int
    rewarded: int


async def process_due(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    config: MessagingConfig,
    *,
    now: datetime,
    batch: int = 100,
) -> DueResult:
    """Every pending referral whose hold is over, a batch per transaction (rows locked with
    SKIP LOCKED, so two workers share the work). Paused and dry-run shops' referrals wait."""
    looked = rewarded = 0
    paused: set[int] = set()
    while True:
        async with transaction(sessions, queue) as session:
            rows = list(
                await session.scalars(
                    select(Referral)
                    .where(
                        Referral.status == PENDING,
                        Referral.due_at <= now,
                        Referral.shop_id.not_in(paused) if paused else true(),
                    )
                    .order_by(Referral.due_at, Referral.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                )
            )
            # Each referral's decision takes its advocate's cap lock, held to the commit: taken
            # in one order (shop, advocate) by every batch, so two batches never deadlock.
            rows.sort(key=lambda r: (r.shop_id, r.referrer_id, r.due_at, r.id))
            for referral in rows:
                settings = await load_settings(session, referral.shop_id)
                # Paused gives no reward; a dry run shows referrals and their checks but
                # gives nothing either (no points, no code): they wait for the program to be
                # live.
                if settings.mode in (Mode.PAUSED, Mode.DRY_RUN):
                    paused.add(referral.shop_id)
                    continue
                status = await qualify(session, config, settings, referral, now)
                looked += 1
                rewarded += status == REWARDED
        if len(rows) < batch:
            break
    await _resume_stranded_code_rewards(sessions, queue, now)
    return DueResult(looked, rewarded)


async def _resume_stranded_code_rewards(
    sessions: async_sessionmaker[AsyncSession], queue: JobQueue, now: datetime
) -> None:
    """Qualified referrals still waiting for their reward code a while after qualifying (the
    job lost with Redis, or out of tries while Shopify was down): their job again, which
    finds the code issued before, if any, by its key."""
    async with transaction(sessions, queue) as session:
        stranded = (
            await session.execute(
                select(Referral.shop_id, Referral.id)
                .where(
                    _waiting_for_code(),
                    Referral.qualified_at < now - STRANDED_REWARD_AFTER,
                )
                .order_by(Referral.qualified_at)
                .limit(100)
            )
        ).all()
        for shop_id, referral_id in stranded:
            defer(session, reward_job(shop_id, referral_id))


async def reward_with_code(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    gateway: DiscountGateway,
    config: MessagingConfig,
    shop: ShopRef,
    referral_id: int,
    now: datetime,
) -> str | None:
    """The advocate's single-use reward code for a qualified referral, created once (keyed by
    the referral), then the referral marked rewarded and the advocate told. The code; None
    when there is none to give (the monthly cap reached meanwhile, among others).

    The cap is checked again under the advocate's cap lock, held (on a connection of its own,
    no row locked) until the code is reserved and made at Shopify, so no other decision for
    this advocate counts without it. A code already reserved for the referral (a retry, a
    crash after Shopify made it) is finished and recorded whatever the cap: it was given."""
    async with sessions.begin() as held:
        referrer_id = await held.scalar(
            select(Referral.referrer_id).where(
                Referral.id == referral_id, Referral.shop_id == shop.id
            )
        )
        if referrer_id is None:
            return None
        await held.execute(_cap_lock(shop.id, referrer_id))
        # Read after the lock: what the lock's previous holder committed.
        referral = await held.get(Referral, referral_id, populate_existing=True)
        if referral is None or referral.status != QUALIFIED:
            return None
        settings = await load_settings(held, shop.id)
        if settings.mode in (Mode.PAUSED, Mode.DRY_RUN):
            return None  # rewarded once the program is live again (the stranded sweep)
        customer = await held.get(Customer, referral.referrer_id)
        if customer is None:
            return None
        reserved = await held.scalar(
            select(DiscountCode.id).where(
                DiscountCode.shop_id == shop.id,
                DiscountCode.idempotency_key == _reward_key(referral_id),
            )
        )
        if reserved is None:
            if referral.reason not in (None, APPROVED):
                return None  # held back when it qualified (the cap): no code
            if await _cap_used(held, referral, now, ahead_only=True) >= (
                settings.monthly_reward_cap
            ):
                referral.reason = MONTHLY_CAP  # stays qualified, as `qualify` leaves one
                return None
        reward = settings.reward_code
        shop_locale = await held.scalar(select(Shop.locale).where(Shop.id == shop.id))
        value = reward.value / 100 if reward.kind == "percentage" else reward.value
        issued = await issue_code(
            sessions,
            gateway,
            shop,
            purpose=CodePurpose.REFERRAL_REWARD,
            idempotency_key=_reward_key(referral_id),
            offer=Offer(
                title=REWARD_TITLE.in_locale(resolve_locale(None, shop_locale)),
                value_type=ValueType(reward.kind),
                value=value,
                valid_for=timedelta(days=reward.valid_days),
            ),
            recipient=Recipient(
                customer_id=customer.id,
                customer_gid=customer_gid(customer.shopify_id),
                email=customer.email,
            ),
            prefix="THANKS",
            now=now,
        )
    # The lock is released: the reserved code counts for the others until this is recorded.
    async with transaction(sessions, queue) as session:
        referral = await session.get(Referral, referral_id, with_for_update=True)
        if referral is None or referral.status != QUALIFIED:
            return issued.code
        await _rewarded(
            session, config, settings, referral, now, code=issued.code, code_ends_at=issued.ends_at
        )
    return issued.code
