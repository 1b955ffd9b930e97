"""The program on the customer's timeline (the one every scenario writes): tier moves,
rewards given or their points returned, and what became of each loyalty email, each with the
reason it happened. Labels in English and French for the admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty.content import PROGRAM_KEY
from app.messaging.guards import SendOutcome
from app.scenarios import timeline

TIER_REACHED = "loyalty_tier_reached"
TIER_LEFT = "loyalty_tier_left"
REWARD_GIVEN = "loyalty_reward_given"
REWARD_RETURNED = "loyalty_reward_returned"
TIER_RULE = "loyalty_tier_rule"
REWARD_REDEEMED = "loyalty_reward_redeemed"

KINDS: dict[str, Text] = {
    TIER_REACHED: Text(en="Loyalty tier reached", fr="Palier de fidélité atteint"),
    TIER_LEFT: Text(en="Loyalty tier left", fr="Palier de fidélité quitté"),
    REWARD_GIVEN: Text(en="Loyalty reward given", fr="Récompense de fidélité accordée"),
    REWARD_RETURNED: Text(
        en="Loyalty reward undone, points returned",
        fr="Récompense de fidélité annulée, points rendus",
    ),
}
REASONS: dict[str, Text] = {
    TIER_RULE: Text(
        en="The points or spending within the tiers' window crossed a threshold",
        fr="Les points ou les achats sur la période des paliers ont franchi un seuil",
    ),
    REWARD_REDEEMED: Text(
        en="Points spent on a reward", fr="Points échangés contre une récompense"
    ),
}


async def tier_moved(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    before: str | None,
    after: str | None,
    climbed: bool,
    at: datetime,
) -> None:
    await timeline.record(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        scenario=PROGRAM_KEY,
        kind=TIER_REACHED if climbed else TIER_LEFT,
        reason=TIER_RULE,
        at=at,
        tier_before=before,
        tier_after=after,
    )


async def reward_given(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    redemption_id: int,
    reward_key: str,
    at: datetime,
    code: str | None = None,
    store_credit_transaction_id: str | None = None,
) -> None:
    await timeline.record(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        scenario=PROGRAM_KEY,
        kind=REWARD_GIVEN,
        reason=REWARD_REDEEMED,
        at=at,
        redemption_id=redemption_id,
        reward=reward_key,
        code=code,
        store_credit_transaction_id=store_credit_transaction_id,
    )


async def reward_returned(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    redemption_id: int,
    reason: str,
    at: datetime,
) -> None:
    await timeline.record(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        scenario=PROGRAM_KEY,
        kind=REWARD_RETURNED,
        reason=reason,
        at=at,
        redemption_id=redemption_id,
    )


async def email_outcome(session: AsyncSession, outcome: SendOutcome) -> None:
    """What became of one of the program's emails (sent, held, suppressed and why…)."""
    await timeline.record_send_outcome(session, PROGRAM_KEY, outcome)
