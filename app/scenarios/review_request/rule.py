"""The review request's rule, over a plain snapshot of the order and its buyer: may the request
start (on OrderFulfilled), and may its next email go out. The same function decides both.

Pure: no database, no clock. One run per order (its natural key), not decided here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.scenarios.engine import StepPlan
from app.scenarios.review_request.settings import AFTER_DELIVERY, ReviewRequestSettings

SUBSCRIBED = "subscribed"
STARTED_ON_FULFILMENT = "order_fulfilled"
# The run's delays count from the order's delivered status (at its start, or re-timed).
TIMED_FROM_DELIVERY = "order_delivered"


class StopReason(enum.StrEnum):
    """Why the request does not start, or stops before an email (labels: content.py)."""

    SHOP_UNINSTALLED = "shop_uninstalled"
    SCENARIO_PAUSED = "scenario_paused"
    CUSTOMER_REDACTED = "customer_redacted"
    NO_CUSTOMER = "order_without_customer"
    NO_EMAIL = "no_email"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_fully_refunded"
    NOTHING_TO_REVIEW = "order_products_reviewed"


@dataclass(frozen=True)
class ReviewSnapshot:
    """What the rule needs, as queries.load_snapshot reads it."""

    has_customer: bool
    email: str | None
    email_marketing_state: str | None
    redacted: bool
    shop_uninstalled: bool
    cancelled: bool
    fully_refunded: bool
    # The order's products the buyer has not reviewed yet (through any order).
    unreviewed: int
    scenario_paused: bool = False
    # The merchant sends review requests as transactional (no marketing consent needed).
    transactional: bool = False


def why_not(snapshot: ReviewSnapshot) -> StopReason | None:
    """None when the request may start (or its next email go out); otherwise the first reason
    it may not, most final first."""
    if snapshot.shop_uninstalled:
        return StopReason.SHOP_UNINSTALLED
    if snapshot.scenario_paused:
        return StopReason.SCENARIO_PAUSED
    if not snapshot.has_customer:
        return StopReason.NO_CUSTOMER
    if snapshot.redacted:
        return StopReason.CUSTOMER_REDACTED
    if snapshot.cancelled:
        return StopReason.ORDER_CANCELLED
    if snapshot.fully_refunded:
        return StopReason.ORDER_REFUNDED
    if snapshot.unreviewed == 0:
        return StopReason.NOTHING_TO_REVIEW
    if not snapshot.email:
        return StopReason.NO_EMAIL
    if not snapshot.transactional and snapshot.email_marketing_state != SUBSCRIBED:
        return StopReason.NO_MARKETING_CONSENT
    return None


def steps(settings: ReviewRequestSettings) -> list[StepPlan]:
    """The request and its reminder, their delays counted from the run's anchor."""
    return [
        StepPlan(step.key, timedelta(seconds=step.delay_seconds), step.enabled)
        for step in settings.steps
    ]


@dataclass(frozen=True)
class Anchor:
    """What the run's delays count from, and whether it still waits for a delivered status
    (then `at` is the fallback: the fulfilment plus the wait)."""

    at: datetime
    awaiting_delivery: bool


def anchor(
    settings: ReviewRequestSettings, *, fulfilled: datetime, delivered: datetime | None
) -> Anchor:
    """After fulfilment: the fulfilment. After delivery: the delivered status when known;
    otherwise the fulfilment plus `delivery_wait_seconds`, until a delivered status comes.
    `fulfilled` and `delivered` are when we learnt of each."""
    if settings.timing != AFTER_DELIVERY:
        return Anchor(fulfilled, awaiting_delivery=False)
    if delivered is not None:
        return Anchor(delivered, awaiting_delivery=False)
    return Anchor(
        fulfilled + timedelta(seconds=settings.delivery_wait_seconds), awaiting_delivery=True
    )


def retime_on_delivery(settings: ReviewRequestSettings, *, request_sent: bool) -> bool:
    """Whether a delivered status heard while the run goes re-times it: with the after-delivery
    timing, as long as the request has not gone (its reminder follows from the request)."""
    return settings.timing == AFTER_DELIVERY and not request_sent
