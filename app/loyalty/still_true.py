"""The program's last look at one of its emails as it is about to leave: quiet hours, the
frequency cap or the merchant's approval may have held it for hours or days, and what it says
(a balance, a tier, a reward within reach, points about to expire) may no longer be true. It
returns a reason to suppress it, or None. Run by the send job inside the transaction that
claims the message (app/messaging/guards.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import content
from app.loyalty.expiry import ACTIVITY_KINDS
from app.loyalty.ledger import pending_sum
from app.loyalty.settings import LoyaltySettings, load_settings
from app.models import LoyaltyAccount, Message, PointsLedgerEntry

PROGRAM_OFF = "loyalty_program_off"
NOTICE_OFF = "loyalty_notice_off"
BALANCE_FELL = "loyalty_balance_fell"
TIER_LOST = "loyalty_tier_lost"
REWARD_OUT_OF_REACH = "loyalty_reward_out_of_reach"
ACTIVE_AGAIN = "loyalty_active_again"

REASONS: dict[str, Text] = {
    PROGRAM_OFF: Text(
        en="Not sent: the loyalty program was turned off",
        fr="Non envoyé : le programme de fidélité a été désactivé",
    ),
    NOTICE_OFF: Text(
        en="Not sent: this loyalty email was turned off",
        fr="Non envoyé : cet e-mail de fidélité a été désactivé",
    ),
    BALANCE_FELL: Text(
        en="Not sent: the customer's points fell below what the email says",
        fr="Non envoyé : les points du client sont passés sous ce qu'annonce l'e-mail",
    ),
    TIER_LOST: Text(
        en="Not sent: the customer left the tier the email announces",
        fr="Non envoyé : le client a quitté le palier qu'annonce l'e-mail",
    ),
    REWARD_OUT_OF_REACH: Text(
        en="Not sent: the customer can no longer afford the reward",
        fr="Non envoyé : le client n'a plus assez de points pour la récompense",
    ),
    ACTIVE_AGAIN: Text(
        en="Not sent: the customer earned or spent points since, so nothing expires",
        fr="Non envoyé : le client a gagné ou utilisé des points depuis, rien n'expire",
    ),
}


def _notice_on(settings: LoyaltySettings, step: int) -> bool:
    notices = settings.notices
    return {
        content.POINTS_DIGEST: notices.points_digest,
        content.TIER_REACHED: notices.tier_reached,
        content.REWARD_REACHABLE: notices.reward_reachable,
        content.EXPIRY_WARNING: notices.expiry_warning and settings.expiry.enabled,
    }.get(step, True)


def _int(context: dict[str, Any], key: str) -> int | None:
    value = context.get(key)
    return value if isinstance(value, int) else None


async def loyalty_email_still_true(session: AsyncSession, message: Message) -> str | None:
    if message.customer_id is None:
        return None
    shop_id, customer_id = message.shop_id, message.customer_id
    settings = await load_settings(session, shop_id)
    if not settings.enabled:
        return PROGRAM_OFF
    if not _notice_on(settings, message.step):
        return NOTICE_OFF
    now = datetime.now(UTC)
    row = (
        await session.execute(
            select(
                LoyaltyAccount.balance,
                LoyaltyAccount.tier,
                pending_sum(shop_id, customer_id, now).label("pending"),
            ).where(LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer_id)
        )
    ).one_or_none()
    spendable = int(row.balance) - int(row.pending) if row is not None else 0
    context = dict(message.context or {})
    if message.step == content.EXPIRY_WARNING:
        # Any earning or spending since the warning starts a new stretch: nothing expires.
        since = await session.scalar(
            select(func.count()).where(
                PointsLedgerEntry.shop_id == shop_id,
                PointsLedgerEntry.customer_id == customer_id,
                PointsLedgerEntry.kind.in_(ACTIVITY_KINDS),
                PointsLedgerEntry.created_at > message.requested_at,
            )
        )
        if since:
            return ACTIVE_AGAIN
    stated = _int(context, "points_spendable")
    if stated is not None and spendable < stated:
        return BALANCE_FELL
    if message.step == content.REWARD_REACHABLE:
        cost = _int(context, "reward_cost")
        if cost is not None and spendable < cost:
            return REWARD_OUT_OF_REACH
    if message.step == content.TIER_REACHED:
        # subject_key: "tier:{key}:{stamp}"
        announced = message.subject_key.split(":")[1] if ":" in message.subject_key else None
        keys = [tier.key for tier in settings.tiers]
        current = row.tier if row is not None else None
        if announced not in keys or current not in keys:
            return TIER_LOST
        if keys.index(current) < keys.index(announced):
            return TIER_LOST
    return None
