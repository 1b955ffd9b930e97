"""The review's thank-you email with its single-use code (loyalty off), through the outbox like
every scenario's: the merchant's mode for `reviews` (live, approval, dry run, paused), consent,
quiet hours and the frequency cap apply. Like the referral reward email, it answers something
the customer did but promotes the shop (a code for their next order): it needs marketing
consent unless the merchant marks the program's emails transactional. Once per review (the
outbox's natural key), and never for a review rejected as spam, even one held meanwhile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.messaging.config import MessagingConfig
from app.messaging.guards import SendOutcome
from app.messaging.i18n import resolve_locale
from app.messaging.outbox import enqueue_message
from app.models import Customer, Message, Review, Shop
from app.reviews.content import PRIORITY, PROGRAM_KEY, REWARD_CODE
from app.scenarios import timeline

SUBJECT_PREFIX = "review:"
# Why a code's email did not leave (labels: REASONS).
REVIEW_REJECTED = "review_reward_rejected_as_spam"
REVIEW_GONE = "review_reward_review_gone"
REASONS: dict[str, Text] = {
    REVIEW_REJECTED: Text(
        en="Not sent: the review was rejected as spam",
        fr="Non envoyé : l'avis a été rejeté comme spam",
    ),
    REVIEW_GONE: Text(en="Not sent: the review was erased", fr="Non envoyé : l'avis a été effacé"),
}


def subject_key(review_id: int) -> str:
    return f"{SUBJECT_PREFIX}{review_id}"


def withheld(review: Review) -> bool:
    """A review rejected as spam earns nothing, and what it earned is taken back."""
    return review.status == "spam" or bool((review.reward or {}).get("revoked"))


def reward_text(percent: int, locale: str) -> str:
    return f"{percent} %" if locale == "fr" else f"{percent}%"


async def send_code(
    session: AsyncSession,
    config: MessagingConfig,
    *,
    shop: Shop,
    customer: Customer,
    review: Review,
    code: str,
    percent: int,
    expires_at: datetime | None,
    now: datetime,
) -> Message | None:
    """Queue the review's code, once per review; nothing for a review withheld as spam."""
    if withheld(review):
        return None
    # The language the review was written in (the order's), as the review request spoke.
    locale = resolve_locale(review.locale or customer.locale, shop.locale)
    context: dict[str, Any] = {
        "locale": locale,
        "product_title": review.product_title,
        "reward": reward_text(percent, locale),
        "discount_code": code,
        "discount_expires_at": expires_at.isoformat() if expires_at else None,
    }
    return await enqueue_message(
        session,
        config,
        shop=shop,
        customer=customer,
        scenario=PROGRAM_KEY,
        step=REWARD_CODE,
        subject_key=subject_key(review.id),
        context=context,
        scheduled_at=now,
        priority=PRIORITY,
    )


async def code_still_due(session: AsyncSession, message: Message) -> str | None:
    """The last look before the email leaves (quiet hours, the cap or the merchant's approval
    may have held it): the review must still be there and not rejected as spam."""
    if not message.subject_key.startswith(SUBJECT_PREFIX):
        return None
    review_id = message.subject_key.removeprefix(SUBJECT_PREFIX)
    review = await session.get(Review, int(review_id)) if review_id.isdigit() else None
    if review is None or review.shop_id != message.shop_id or review.anonymised_at is not None:
        return REVIEW_GONE
    return REVIEW_REJECTED if withheld(review) else None


async def email_outcome(session: AsyncSession, outcome: SendOutcome) -> None:
    """What became of one of the program's emails (sent, held, suppressed and why…)."""
    await timeline.record_send_outcome(session, PROGRAM_KEY, outcome)
