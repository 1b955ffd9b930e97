"""Win-back's rule on plain snapshots: lapsed by N days or by the customer's own rhythm,
consent, erasure, the cooldown, and what stops a running win-back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.scenarios.winback.rule import (
    LapseRule,
    SkipReason,
    WinbackSnapshot,
    lapsed_at,
    why_not_send,
    why_not_start,
)
from app.scenarios.winback.settings import WinbackSettings

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
RULE = WinbackSettings().lapse_rule
LAPSED = WinbackSnapshot(
    email="sam@example.com",
    email_marketing_state="subscribed",
    redacted=False,
    shop_uninstalled=False,
    orders_count=1,
    last_order_at=NOW - timedelta(days=120),
    median_interval=None,
    last_win_back_at=None,
)


def test_the_defaults_are_the_issues() -> None:
    assert (
        LapseRule(
            lapsed_after=timedelta(days=90),
            median_multiplier=2.0,
            min_orders_for_rhythm=3,
            cooldown=timedelta(days=180),
            lapse_floor=timedelta(days=14),
        )
        == RULE
    )


def test_a_last_order_older_than_90_days_is_lapsed() -> None:
    assert why_not_start(LAPSED, RULE, NOW) is None


def test_a_recent_order_is_not_lapsed() -> None:
    recent = replace(LAPSED, last_order_at=NOW - timedelta(days=89))
    assert why_not_start(recent, RULE, NOW) is SkipReason.NOT_LAPSED


def test_a_regular_customer_lapses_after_twice_their_median_gap() -> None:
    monthly = replace(
        LAPSED,
        orders_count=5,
        median_interval=timedelta(days=20),
        last_order_at=NOW - timedelta(days=41),
    )
    assert lapsed_at(monthly, RULE) == NOW - timedelta(days=1)
    assert why_not_start(monthly, RULE, NOW) is None
    assert why_not_start(replace(monthly, last_order_at=NOW - timedelta(days=39)), RULE, NOW) is (
        SkipReason.NOT_LAPSED
    )


def test_a_burst_of_orders_is_not_a_rhythm_lost_days_later() -> None:
    # Three orders in two days: a median gap of a day, "lapsed" two days after the last
    # without the floor.
    burst = replace(
        LAPSED,
        orders_count=3,
        median_interval=timedelta(days=1),
        last_order_at=NOW - timedelta(days=12),
    )
    assert lapsed_at(burst, RULE) == NOW + timedelta(days=2)
    assert why_not_start(burst, RULE, NOW) is SkipReason.NOT_LAPSED
    assert why_not_start(replace(burst, last_order_at=NOW - timedelta(days=15)), RULE, NOW) is None


def test_a_floor_longer_than_lapsed_after_counts_as_lapsed_after() -> None:
    # Settings saved before the floor existed keep working: 10 days, under the default 14.
    rule = WinbackSettings(lapsed_after_days=10).lapse_rule
    assert rule.lapse_floor == timedelta(days=10)
    quick = replace(
        LAPSED,
        orders_count=4,
        median_interval=timedelta(days=3),
        last_order_at=NOW - timedelta(days=11),
    )
    assert why_not_start(quick, rule, NOW) is None
    assert why_not_start(replace(quick, last_order_at=NOW - timedelta(days=9)), rule, NOW) is (
        SkipReason.NOT_LAPSED
    )


def test_the_rhythm_needs_three_orders() -> None:
    two_orders = replace(
        LAPSED,
        orders_count=2,
        median_interval=timedelta(days=20),
        last_order_at=NOW - timedelta(days=41),
    )
    assert why_not_start(two_orders, RULE, NOW) is SkipReason.NOT_LAPSED


def test_a_slow_rhythm_still_lapses_after_90_days() -> None:
    yearly = replace(
        LAPSED,
        orders_count=4,
        median_interval=timedelta(days=365),
        last_order_at=NOW - timedelta(days=91),
    )
    assert why_not_start(yearly, RULE, NOW) is None


def test_without_consent_or_address_no_win_back() -> None:
    assert why_not_start(replace(LAPSED, email_marketing_state="unsubscribed"), RULE, NOW) is (
        SkipReason.NO_MARKETING_CONSENT
    )
    assert why_not_start(replace(LAPSED, email=None), RULE, NOW) is SkipReason.NO_EMAIL


def test_a_redacted_customer_is_never_selected() -> None:
    assert why_not_start(replace(LAPSED, redacted=True), RULE, NOW) is (
        SkipReason.CUSTOMER_REDACTED
    )


def test_an_uninstalled_shop_selects_nobody() -> None:
    assert why_not_start(replace(LAPSED, shop_uninstalled=True), RULE, NOW) is (
        SkipReason.SHOP_UNINSTALLED
    )


def test_a_win_back_in_the_last_180_days_blocks_another() -> None:
    recent = replace(LAPSED, last_win_back_at=NOW - timedelta(days=179))
    old = replace(LAPSED, last_win_back_at=NOW - timedelta(days=181))
    assert why_not_start(recent, RULE, NOW) is SkipReason.RECENT_WIN_BACK
    assert why_not_start(old, RULE, NOW) is None


def test_a_customer_who_never_ordered_is_not_won_back() -> None:
    never = replace(LAPSED, orders_count=0, last_order_at=None)
    assert why_not_start(never, RULE, NOW) is SkipReason.NEVER_ORDERED


def test_any_order_after_the_start_stops_the_run() -> None:
    started = NOW - timedelta(days=3)
    assert why_not_send(LAPSED, started) is None
    came_back = replace(LAPSED, orders_count=2, last_order_at=NOW - timedelta(days=1))
    assert why_not_send(came_back, started) is SkipReason.CUSTOMER_ORDERED
    assert why_not_send(replace(LAPSED, email_marketing_state="unsubscribed"), started) is (
        SkipReason.NO_MARKETING_CONSENT
    )
