"""What a review earns, never gated on its rating (Shopify's policy: every genuine review earns
the same): with the loyalty program on, points per review and a bonus for a photo, once per
product per customer (the ledger's natural key: source "review" / "review_photo", id
"<customer>:<product>"); with it off, a single-use code, issued by a job after the commit
(it calls Shopify). A review the merchant rejects as spam earns nothing, and what it earned is
taken back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import service as loyalty
from app.loyalty.settings import load_settings as loyalty_settings
from app.models import Review
from app.queue.deferred import Job, defer
from app.reviews.settings import ReviewSettings

REVIEW_SOURCE = "review"
PHOTO_SOURCE = "review_photo"
ISSUE_CODE_JOB = "issue_review_code"
# Why the ledger moved (labels: REASONS, shown on the customer's history).
REVIEWED = "review_submitted"
REVIEWED_WITH_PHOTO = "review_with_photo"
REJECTED_AS_SPAM = "review_rejected_as_spam"
REASONS: dict[str, Text] = {
    REVIEWED: Text(en="Points for a product review", fr="Points pour un avis produit"),
    REVIEWED_WITH_PHOTO: Text(
        en="Bonus points for a review with a photo", fr="Points bonus pour un avis avec photo"
    ),
    REJECTED_AS_SPAM: Text(
        en="The review was rejected as spam: its points were taken back",
        fr="L'avis a été rejeté comme spam : ses points ont été retirés",
    ),
}


def issue_code_job(shop_id: int, review_id: int) -> Job:
    return Job(ISSUE_CODE_JOB, (shop_id, review_id), f"{ISSUE_CODE_JOB}:{shop_id}:{review_id}")


def source_id(review: Review) -> str:
    return f"{review.customer_id}:{review.product_id}"


async def reward_review(
    session: AsyncSession,
    review: Review,
    settings: ReviewSettings,
    *,
    has_photo: bool,
    now: datetime,
    again: bool = False,
) -> None:
    """Give what the review earns, once. `again`: a review taken out of spam earns anew."""
    if review.customer_id is None or review.status == "spam":
        return
    reward: dict[str, Any] = dict(review.reward or {})
    if reward.get("revoked") and not again:
        return
    if again:
        reward = {}
    program = await loyalty_settings(session, review.shop_id)
    if program.enabled:
        suffix = f":{int(now.timestamp())}" if again else ""
        if "points_entry" not in reward and settings.review_points > 0:
            entry = await loyalty.award_bonus(
                session,
                shop_id=review.shop_id,
                customer_id=review.customer_id,
                points=settings.review_points,
                source_type=REVIEW_SOURCE,
                source_id=source_id(review) + suffix,
                now=now,
                note=REVIEWED,
            )
            if entry is not None:
                reward.update(points_entry=entry, points=settings.review_points)
        if has_photo and "photo_entry" not in reward and settings.photo_bonus_points > 0:
            entry = await loyalty.award_bonus(
                session,
                shop_id=review.shop_id,
                customer_id=review.customer_id,
                points=settings.photo_bonus_points,
                source_type=PHOTO_SOURCE,
                source_id=source_id(review) + suffix,
                now=now,
                note=REVIEWED_WITH_PHOTO,
            )
            if entry is not None:
                reward.update(photo_entry=entry, photo_points=settings.photo_bonus_points)
    elif settings.code_percent > 0 and "code" not in reward and "code_due" not in reward:
        reward["code_due"] = True
        defer(session, issue_code_job(review.shop_id, review.id))
    review.reward = reward


async def revoke(session: AsyncSession, review: Review, now: datetime) -> None:
    """Take back the points a review earned (an adjustment, once per review: its key)."""
    reward: dict[str, Any] = dict(review.reward or {})
    if review.customer_id is None or reward.get("revoked"):
        return
    points = int(reward.get("points", 0)) + int(reward.get("photo_points", 0))
    if points > 0:
        await loyalty.adjust_points(
            session,
            shop_id=review.shop_id,
            customer_id=review.customer_id,
            delta=-points,
            reason=REJECTED_AS_SPAM,
            actor="reviews",
            key=f"review-spam:{review.id}:{int(now.timestamp())}",
            now=now,
        )
    # A code not issued yet never will be; one issued stays with its discount (single use).
    reward.pop("code_due", None)
    reward["revoked"] = True
    review.reward = reward
