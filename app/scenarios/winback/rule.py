"""Win-back's rule over a plain snapshot of a customer: are they lapsed, may a win-back start,
may its next step go out. Pure: the clock comes in as `now`.

Lapsed: the last order is older than `lapsed_after` (90 days by default) or, for a customer
with at least `min_orders_for_rhythm` orders (3), older than `median_multiplier` (2) times
their median gap between orders: a monthly buyer is missed after two months, not three. Never
sooner than `lapse_floor` (14 days) after the last order, whatever the rhythm: three orders in
two days make a median gap of a day, not a customer lost two days later (a rhythm of a week
or more is not touched by the default floor). The customer must have marketing consent and an
address, must not be erased, and must not have had a win-back in the last `cooldown` (180
days). Any order after the run started stops it.

app/scenarios/winback/queries.py selects in SQL exactly what `why_not_start` accepts; the
tests hold the two to the same cases."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

SUBSCRIBED = "subscribed"
STARTED_LAPSED = "customer_lapsed"


class SkipReason(enum.StrEnum):
    """Why a customer is not selected, or why a running win-back stops (labels: content.py)."""

    SHOP_UNINSTALLED = "shop_uninstalled"
    CUSTOMER_REDACTED = "customer_redacted"
    NO_EMAIL = "no_email"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    NEVER_ORDERED = "never_ordered"
    NOT_LAPSED = "not_lapsed"
    RECENT_WIN_BACK = "recent_win_back"
    CUSTOMER_ORDERED = "customer_ordered"


@dataclass(frozen=True)
class LapseRule:
    """The merchant's thresholds (settings.WinbackSettings.lapse_rule builds it)."""

    lapsed_after: timedelta
    median_multiplier: float
    min_orders_for_rhythm: int
    cooldown: timedelta
    # The rhythm's threshold is never shorter than this (settings cap it at lapsed_after).
    lapse_floor: timedelta


@dataclass(frozen=True)
class WinbackSnapshot:
    email: str | None
    email_marketing_state: str | None
    redacted: bool
    shop_uninstalled: bool
    # Orders not cancelled (customer_order_stats).
    orders_count: int
    last_order_at: datetime | None
    median_interval: timedelta | None
    # When the customer's latest win-back run started, if any.
    last_win_back_at: datetime | None


def lapsed_at(snapshot: WinbackSnapshot, rule: LapseRule) -> datetime | None:
    """The moment the customer counts as lapsed (whichever threshold comes first); None for
    a customer who never ordered."""
    if snapshot.last_order_at is None:
        return None
    wait = rule.lapsed_after
    if snapshot.orders_count >= rule.min_orders_for_rhythm and snapshot.median_interval:
        wait = max(min(wait, snapshot.median_interval * rule.median_multiplier), rule.lapse_floor)
    return snapshot.last_order_at + wait


def _unreachable(snapshot: WinbackSnapshot) -> SkipReason | None:
    if snapshot.shop_uninstalled:
        return SkipReason.SHOP_UNINSTALLED
    if snapshot.redacted:
        return SkipReason.CUSTOMER_REDACTED
    if not snapshot.email:
        return SkipReason.NO_EMAIL
    if snapshot.email_marketing_state != SUBSCRIBED:
        return SkipReason.NO_MARKETING_CONSENT
    return None


def why_not_start(snapshot: WinbackSnapshot, rule: LapseRule, now: datetime) -> SkipReason | None:
    """None when a win-back may start for the customer now; otherwise why not."""
    if (reason := _unreachable(snapshot)) is not None:
        return reason
    lapse = lapsed_at(snapshot, rule)
    if lapse is None:
        return SkipReason.NEVER_ORDERED
    if lapse >= now:
        return SkipReason.NOT_LAPSED
    if snapshot.last_win_back_at is not None and snapshot.last_win_back_at > now - rule.cooldown:
        return SkipReason.RECENT_WIN_BACK
    return None


def why_not_send(snapshot: WinbackSnapshot, started_at: datetime) -> SkipReason | None:
    """None when the next step of a win-back started at `started_at` may go out; otherwise
    why the run stops. Any order since the start ends it (the customer came back)."""
    if (reason := _unreachable(snapshot)) is not None:
        return reason
    if snapshot.last_order_at is not None and snapshot.last_order_at >= started_at:
        return SkipReason.CUSTOMER_ORDERED
    return None
