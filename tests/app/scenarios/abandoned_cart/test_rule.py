"""The abandoned cart's rule on plain data: the same decision at start and before each send."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.scenarios.abandoned_cart import rule
from app.scenarios.abandoned_cart.content import (
    CHECKOUT_COMPLETED,
    CHECKOUT_EMPTIED,
    CUSTOMER_ORDERED,
    NO_CONSENT,
    NO_CONTACT,
    ORDER_PLACED,
    SCENARIO_PAUSED,
    SHOP_UNINSTALLED,
    UNSUBSCRIBED,
)
from app.scenarios.abandoned_cart.settings import AbandonedCartSettings
from app.scenarios.modes import Mode

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def checkout(**overrides: object) -> rule.CheckoutSnapshot:
    base = rule.CheckoutSnapshot(
        token="tok-1",
        completed=False,
        line_items=({"title": "Mug", "variant_id": 11, "quantity": 1, "price": "12.00"},),
        total_price=Decimal("12.00"),
        currency="EUR",
        abandoned_checkout_url="https://shop.test/recover/tok-1",
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def cart(**overrides: object) -> rule.CartState:
    base = rule.CartState(
        shop_installed=True,
        mode=Mode.LIVE,
        transactional=False,
        checkout=checkout(),
        contact_email="ada@example.test",
        ordered_for_checkout=False,
        ordered_since_changed=False,
        marketing_state="subscribed",
        has_customer=True,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_an_abandoned_checkout_of_a_subscribed_customer_is_reminded() -> None:
    assert rule.why_not_remind(cart()) is None
    assert rule.why_not_send(cart()) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"shop_installed": False}, SHOP_UNINSTALLED),
        ({"mode": Mode.PAUSED}, SCENARIO_PAUSED),
        ({"checkout": None}, CHECKOUT_COMPLETED),
        ({"checkout": checkout(completed=True)}, CHECKOUT_COMPLETED),
        ({"checkout": checkout(line_items=())}, CHECKOUT_EMPTIED),
        ({"contact_email": None}, NO_CONTACT),
        ({"ordered_for_checkout": True}, ORDER_PLACED),
        ({"ordered_since_changed": True}, CUSTOMER_ORDERED),
    ],
)
def test_what_stops_a_reminder_stops_it_at_start_and_at_send(
    change: dict[str, object], reason: str
) -> None:
    state = cart(**change)
    assert rule.why_not_remind(state) == reason
    assert rule.why_not_send(state) == reason


def test_the_first_reason_wins_in_the_rules_order() -> None:
    state = cart(mode=Mode.PAUSED, ordered_for_checkout=True, checkout=checkout(completed=True))
    assert rule.why_not_send(state) == SCENARIO_PAUSED


def test_consent_is_asked_when_a_reminder_goes_not_when_the_run_starts() -> None:
    # A shopper may subscribe between the abandonment and the first reminder.
    pending = cart(marketing_state="not_subscribed")
    assert rule.why_not_remind(pending) is None
    assert rule.why_not_send(pending) == NO_CONSENT
    assert rule.why_not_send(cart(has_customer=False, marketing_state=None)) == NO_CONSENT


def test_an_unsubscribed_customer_is_never_reminded_even_as_transactional() -> None:
    assert rule.why_not_send(cart(marketing_state="unsubscribed")) == UNSUBSCRIBED
    state = cart(marketing_state="unsubscribed", transactional=True)
    assert rule.why_not_send(state) == UNSUBSCRIBED


def test_transactional_reminders_need_no_marketing_consent() -> None:
    assert rule.why_not_send(cart(transactional=True, marketing_state="not_subscribed")) is None
    assert rule.why_not_send(cart(transactional=True, has_customer=False)) is None


def test_a_checkout_without_contact_or_items_is_not_noted_on_the_timeline() -> None:
    assert not rule.noted_when_not_started(NO_CONTACT)
    assert not rule.noted_when_not_started(CHECKOUT_EMPTIED)
    assert rule.noted_when_not_started(ORDER_PLACED)


def test_a_running_checkout_stops_when_completed_or_emptied() -> None:
    assert rule.why_stop_on_change(checkout(completed=True)) == CHECKOUT_COMPLETED
    assert rule.why_stop_on_change(checkout(line_items=())) == CHECKOUT_EMPTIED
    assert rule.why_stop_on_change(checkout()) is None


def test_only_a_newer_change_before_the_first_reminder_restarts_the_clock() -> None:
    later = T0 + timedelta(minutes=5)
    assert rule.restarts_clock(0, T0, later)
    assert not rule.restarts_clock(0, T0, T0)
    assert not rule.restarts_clock(0, T0, None)
    assert not rule.restarts_clock(1, T0, later)


def test_the_newest_checkout_wins_by_shopify_time_then_id() -> None:
    runs = [rule.RunRef(1, T0 + timedelta(hours=1)), rule.RunRef(2, T0), rule.RunRef(3, T0)]
    assert rule.newest(runs).id == 1
    assert rule.newest(runs[1:]).id == 3


def test_an_order_stops_only_runs_it_came_after() -> None:
    assert rule.order_stops_run(T0, T0)
    assert rule.order_stops_run(T0, T0 + timedelta(seconds=1))
    assert not rule.order_stops_run(T0, T0 - timedelta(seconds=1))


def test_an_order_in_the_second_of_the_click_or_within_the_window_is_attributed() -> None:
    window = timedelta(days=7)
    clicked = T0.replace(microsecond=700_000)
    assert rule.engagement_attributes(clicked, T0, window)  # Shopify's whole seconds
    assert rule.engagement_attributes(clicked, T0 + window, window)
    assert not rule.engagement_attributes(clicked, T0 + window + timedelta(seconds=1), window)
    assert not rule.engagement_attributes(clicked, T0 - timedelta(seconds=1), window)
    assert not rule.engagement_attributes(None, T0, window)


def test_steps_follow_the_settings() -> None:
    plan = rule.steps(AbandonedCartSettings())
    assert [(s.key, s.delay, s.enabled) for s in plan] == [
        ("first_reminder", timedelta(hours=1), True),
        ("second_reminder", timedelta(hours=24), True),
        ("last_reminder", timedelta(hours=72), False),
    ]


def test_the_recovery_link_carries_the_code() -> None:
    assert (
        rule.recovery_link("https://s.test/r/1", "SAVE10") == "https://s.test/r/1?discount=SAVE10"
    )
    assert rule.recovery_link("https://s.test/r/1?k=v", "X") == "https://s.test/r/1?k=v&discount=X"
    assert rule.recovery_link("https://s.test/r/1", None) == "https://s.test/r/1"
    assert rule.recovery_link(None, "X") is None


def test_the_reminder_shows_the_cart_with_fetched_images_and_presentment_titles() -> None:
    snapshot = checkout(
        line_items=(
            {"title": "Mug", "presentment_title": "Tasse", "variant_id": 11, "quantity": 2},
            {"title": "Tee", "variant_id": 12, "image_url": "https://cdn.test/own.png"},
            {"title": "Gift card", "variant_id": None},
        ),
        presentment_currency="CHF",
    )
    context = rule.cart_context(snapshot, "EUR", {11: "https://cdn.test/11.png"})
    assert [(i["title"], i["image_url"]) for i in context["items"]] == [
        ("Tasse", "https://cdn.test/11.png"),
        ("Tee", "https://cdn.test/own.png"),
        ("Gift card", None),
    ]
    assert context["currency"] == "CHF"
    assert context["cart_total"] == "12.00"
    assert rule.variant_ids(snapshot) == (11, 12)
    assert rule.variant_ids(None) == ()


def inbox_order(**overrides: object) -> rule.InboxOrder:
    base = rule.InboxOrder(
        checkout_token=None, customer_id=None, email=None, placed_at=T0 + timedelta(minutes=5)
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_an_unprocessed_order_carrying_the_token_is_an_order_for_the_checkout() -> None:
    orders = [inbox_order(checkout_token="tok-1", placed_at=T0 - timedelta(days=1))]
    assert rule.inbox_orders_against(orders, "tok-1", None, None, T0) == (True, False)
    assert rule.inbox_orders_against(orders, "tok-2", None, None, T0) == (False, False)


@pytest.mark.parametrize(
    ("order", "stops"),
    [
        (inbox_order(customer_id=42), True),
        (inbox_order(email=" ADA@example.test"), True),
        (inbox_order(email="ada@example.test", placed_at=None), True),  # unknown time counts
        (inbox_order(customer_id=42, placed_at=T0 - timedelta(seconds=1)), False),  # before
        (inbox_order(customer_id=43, email="bob@example.test"), False),  # someone else
    ],
)
def test_an_unprocessed_order_of_the_shopper_since_the_abandonment_stops_it(
    order: rule.InboxOrder, stops: bool
) -> None:
    assert rule.inbox_orders_against([order], "tok-1", 42, "ada@example.test", T0) == (
        False,
        stops,
    )


def test_an_unprocessed_completion_of_the_checkout_completes_it() -> None:
    done = rule.InboxCheckout(token="tok-1", completed=True)
    pending = rule.InboxCheckout(token="tok-1", completed=False)
    assert rule.inbox_completes([pending, done], "tok-1")
    assert not rule.inbox_completes([pending], "tok-1")
    assert not rule.inbox_completes([done], "tok-2")
