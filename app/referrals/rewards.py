"""Qualifying and rewarding: once a referral's hold period is over, its order still paid and
neither refunded nor cancelled, it qualifies; its advocate gets points on the loyalty ledger
(once per referral: the ledger's natural key) or a single-use code from the codes service,
within the monthly cap, and is told by email with an invitation to share again. Flagged
referrals wait for the merchant's decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.i18n import Text
from app.loyalty.service import award_bonus
from app.messaging.config import MessagingConfig
from app.messaging.i18n import resolve_locale
from app.models import Customer, Order, Referral, Refund, Shop
from app.queue import JobQueue
from app.queue.deferred import defer, transaction
from app.referrals.content import CANCELLED, LOYALTY_OFF, MONTHLY_CAP, REFERRAL_POINTS, REFUNDED
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


async def _rewards_this_month(
    session: AsyncSession, shop_id: int, referrer_id: int, now: datetime
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.shop_id == shop_id,
            Referral.referrer_id == referrer_id,
            Referral.status == REWARDED,
            Referral.rewarded_at >= _month_start(now),
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
    if await _rewards_this_month(session, referral.shop_id, referral.referrer_id, now) >= (
        settings.monthly_reward_cap
    ):
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
                    Referral.status == QUALIFIED,
                    Referral.reason.is_(None),
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
    the referral), then the referral marked rewarded and the advocate told. The code."""
    async with sessions.begin() as session:
        referral = await session.get(Referral, referral_id)
        if referral is None or referral.shop_id != shop.id or referral.status != QUALIFIED:
            return None
        settings = await load_settings(session, shop.id)
        if settings.mode in (Mode.PAUSED, Mode.DRY_RUN):
            return None  # rewarded once the program is live again (the stranded sweep)
        customer = await session.get(Customer, referral.referrer_id)
        if customer is None:
            return None
        reward = settings.reward_code
        shop_locale = await session.scalar(select(Shop.locale).where(Shop.id == shop.id))
    value = reward.value / 100 if reward.kind == "percentage" else reward.value
    issued = await issue_code(
        sessions,
        gateway,
        shop,
        purpose=CodePurpose.REFERRAL_REWARD,
        idempotency_key=f"referral-reward:{referral_id}",
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
    async with transaction(sessions, queue) as session:
        referral = await session.get(Referral, referral_id, with_for_update=True)
        if referral is None or referral.status != QUALIFIED:
            return issued.code
        await _rewarded(
            session, config, settings, referral, now, code=issued.code, code_ends_at=issued.ends_at
        )
    return issued.code
