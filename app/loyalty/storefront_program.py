"""The programs as the storefront widget paints them before any request: one JSON document
(the loyalty program's tiers, rewards and ways to earn, the referral offer; every text in
English and French) written to the shop metafield `$app:loyalty.program`, which the theme app
extension reads through Liquid (extensions/loyalty-widget/snippets/boomerang-state.liquid).
Written again after every change of either program's settings (a job deferred to the
transaction's commit: the job reads the settings as they are then, so the last write carries
the last state)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import shopper
from app.loyalty.settings import LoyaltySettings
from app.loyalty.settings import load_settings as load_loyalty
from app.queue.deferred import Job, defer
from app.referrals.messages import friend_offer, reward_text
from app.referrals.settings import ReferralSettings
from app.referrals.settings import load_settings as load_referral
from app.scenarios.modes import Mode

PROGRAM_JOB = "sync_storefront_program"
PROGRAM_KEY = "program"
DOCUMENT_VERSION = 1


def program_job(shop_id: int, change: str) -> Job:
    return Job(PROGRAM_JOB, (shop_id,), f"{PROGRAM_JOB}:{shop_id}:{change}")


def program_changed(session: AsyncSession, shop_id: int) -> None:
    """A program's settings changed in this transaction: rewrite the storefront's copy after
    the commit (each change its own job: a later one never waits for an earlier id)."""
    defer(session, program_job(shop_id, str(time.time_ns())))


def _both(text: Text) -> dict[str, str]:
    return {"en": text.en, "fr": text.fr}


def program_document(
    loyalty: LoyaltySettings, referral: ReferralSettings, currency: str
) -> dict[str, Any]:
    """What the widget shows every visitor, in both languages (the theme picks one)."""
    note = shopper.pending_note(loyalty)
    return {
        "v": DOCUMENT_VERSION,
        "enabled": loyalty.enabled,
        "currency": currency,
        "tier_basis": loyalty.tier_basis,
        "pending_days": loyalty.pending_days,
        "pending_note": _both(note) if note else None,
        "tiers": [
            {
                "key": tier.key,
                "name": {"en": tier.name_en, "fr": tier.name_fr},
                "threshold": str(tier.threshold),
            }
            for tier in loyalty.tiers
        ],
        "rewards": [
            {
                "key": reward.key,
                "kind": reward.kind,
                "cost": reward.cost,
                "label": _both(shopper.reward_label(reward, currency)),
            }
            for reward in loyalty.rewards
            if loyalty.store_credit_enabled or reward.kind != "store_credit"
        ],
        "ways_to_earn": [
            {"key": way.key, "points": str(way.points), "label": _both(way.label)}
            for way in shopper.ways_to_earn(loyalty, currency)
        ],
        "referral": {
            "enabled": referral.mode != Mode.PAUSED,
            "offer": friend_offer(referral),
            "reward": reward_text(referral, currency),
        },
    }


async def storefront_program(session: AsyncSession, shop_id: int, currency: str) -> dict[str, Any]:
    return program_document(
        await load_loyalty(session, shop_id), await load_referral(session, shop_id), currency
    )
