"""The referral emails, through the outbox like every scenario's: the merchant's mode for
`referral` (live, approval, dry run, paused), consent, quiet hours and pacing apply. Referral
emails answer something the customer did (their order, their friend's), but they promote the
shop: they need consent unless the merchant marks the program transactional."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.config import MessagingConfig
from app.messaging.outbox import enqueue_message
from app.models import Customer, ReferralCode, Shop
from app.referrals.content import INVITE_STEP, REWARD_STEP
from app.referrals.links import share_url
from app.referrals.settings import KEY, ReferralSettings

PRIORITY = 10


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def friend_offer(settings: ReferralSettings) -> str:
    return f"{_number(settings.friend_percent)} %"


def reward_text(settings: ReferralSettings, currency: str) -> str:
    if settings.reward_kind == "points":
        return f"{settings.reward_points} points"
    reward = settings.reward_code
    if reward.kind == "percentage":
        return f"{_number(reward.value)} %"
    return f"{_number(reward.value)} {currency}"


async def send_invite(
    session: AsyncSession,
    config: MessagingConfig,
    settings: ReferralSettings,
    *,
    shop: Shop,
    customer: Customer,
    code: ReferralCode,
    now: datetime,
) -> None:
    """The advocate's code and share link (once per code: the outbox's natural key)."""
    if code.code is None:
        return
    await enqueue_message(
        session,
        config,
        shop=shop,
        customer=customer,
        scenario=KEY,
        step=INVITE_STEP,
        subject_key=f"code:{code.id}",
        context={
            "referral_code": code.code,
            "referral_url": share_url(config.app_url, code.code),
            "friend_offer": friend_offer(settings),
            "reward": reward_text(settings, shop.currency),
        },
        scheduled_at=now,
        priority=PRIORITY,
    )


async def send_reward(
    session: AsyncSession,
    config: MessagingConfig,
    settings: ReferralSettings,
    *,
    shop: Shop,
    customer: Customer,
    referral_id: int,
    code: str,
    reward: str,
    reward_code: str | None,
    reward_code_ends_at: datetime | None,
    now: datetime,
) -> None:
    """The reward, and the invitation to share again (once per referral)."""
    await enqueue_message(
        session,
        config,
        shop=shop,
        customer=customer,
        scenario=KEY,
        step=REWARD_STEP,
        subject_key=f"referral:{referral_id}",
        context={
            "referral_code": code,
            "referral_url": share_url(config.app_url, code),
            "friend_offer": friend_offer(settings),
            "reward": reward,
            "discount_code": reward_code,
            "discount_expires_at": reward_code_ends_at.isoformat() if reward_code_ends_at else None,
        },
        scheduled_at=now,
        priority=PRIORITY,
    )
