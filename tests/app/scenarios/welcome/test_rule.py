"""The welcome series' rule on plain snapshots: who may start it, what stops it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.scenarios.welcome.rule import StopReason, WelcomeSnapshot, why_not

NEW_SUBSCRIBER = WelcomeSnapshot(
    email="camille@example.com",
    email_marketing_state="subscribed",
    redacted=False,
    has_ordered=False,
    shop_uninstalled=False,
    signed_up=True,
)


def test_a_new_subscriber_without_orders_is_welcomed() -> None:
    assert why_not(NEW_SUBSCRIBER) is None


@pytest.mark.parametrize("state", ["not_subscribed", "unsubscribed", "pending", None])
def test_without_consent_there_is_no_welcome(state: str | None) -> None:
    assert (
        why_not(replace(NEW_SUBSCRIBER, email_marketing_state=state))
        is StopReason.NO_MARKETING_CONSENT
    )


def test_the_first_order_ends_the_series() -> None:
    assert why_not(replace(NEW_SUBSCRIBER, has_ordered=True)) is StopReason.CUSTOMER_ORDERED


def test_a_customer_without_an_address_is_not_welcomed() -> None:
    assert why_not(replace(NEW_SUBSCRIBER, email=None)) is StopReason.NO_EMAIL
    assert why_not(replace(NEW_SUBSCRIBER, email="")) is StopReason.NO_EMAIL


def test_a_redacted_customer_is_never_welcomed() -> None:
    assert why_not(replace(NEW_SUBSCRIBER, redacted=True)) is StopReason.CUSTOMER_REDACTED


def test_an_account_whose_sign_up_we_never_saw_is_not_welcomed() -> None:
    """Known only by a consent change or an update (created before the install): an old
    customer resubscribing is not a new one."""
    assert why_not(replace(NEW_SUBSCRIBER, signed_up=False)) is StopReason.NOT_A_SIGN_UP


def test_an_uninstalled_shop_welcomes_nobody() -> None:
    assert why_not(replace(NEW_SUBSCRIBER, shop_uninstalled=True)) is StopReason.SHOP_UNINSTALLED


def test_the_most_final_reason_is_given_first() -> None:
    everything_wrong = WelcomeSnapshot(
        email=None,
        email_marketing_state="unsubscribed",
        redacted=True,
        has_ordered=True,
        shop_uninstalled=True,
        signed_up=False,
    )
    assert why_not(everything_wrong) is StopReason.SHOP_UNINSTALLED
    assert why_not(replace(everything_wrong, shop_uninstalled=False)) is (
        StopReason.CUSTOMER_REDACTED
    )
