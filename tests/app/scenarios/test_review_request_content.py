"""The review request's settings and content: defaults as the issue states them (7 days, then
a reminder 5 days later, off until turned on), every default email valid in English and French
with one-click stars per product, every reason labelled in both, the rule's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from app.messaging.templates import render, sample_context
from app.scenarios.config import resolve
from app.scenarios.modes import Mode
from app.scenarios.review_request import content
from app.scenarios.review_request.rule import (
    TIMED_FROM_DELIVERY,
    ReviewSnapshot,
    StopReason,
    anchor,
    retime_on_delivery,
    why_not,
)
from app.scenarios.review_request.settings import ReviewRequestSettings

DAY = 86400


def test_defaults() -> None:
    settings = resolve(ReviewRequestSettings, {})
    assert isinstance(settings, ReviewRequestSettings)
    assert settings.mode == Mode.PAUSED
    request, reminder = settings.steps
    assert (request.key, request.delay_seconds / DAY) == ("request", 7)
    assert (reminder.key, (reminder.delay_seconds - request.delay_seconds) / DAY) == ("reminder", 5)
    assert (settings.timing, settings.delivery_wait_seconds / DAY) == ("after_fulfilment", 10)


def test_what_the_delays_count_from() -> None:
    fulfilled = datetime(2026, 12, 1, 9, tzinfo=UTC)
    delivered = fulfilled + timedelta(days=3)
    after_fulfilment = resolve(ReviewRequestSettings, {})
    after_delivery = resolve(
        ReviewRequestSettings, {"timing": "after_delivery", "delivery_wait_seconds": 8 * DAY}
    )
    assert isinstance(after_fulfilment, ReviewRequestSettings)
    assert isinstance(after_delivery, ReviewRequestSettings)
    # After fulfilment, a delivery changes nothing.
    assert anchor(after_fulfilment, fulfilled=fulfilled, delivered=delivered).at == fulfilled
    assert not retime_on_delivery(after_fulfilment, request_sent=False)
    # After delivery: the delivery when known, else the fulfilment plus the wait.
    known = anchor(after_delivery, fulfilled=fulfilled, delivered=delivered)
    assert (known.at, known.awaiting_delivery) == (delivered, False)
    waiting = anchor(after_delivery, fulfilled=fulfilled, delivered=None)
    assert (waiting.at, waiting.awaiting_delivery) == (fulfilled + timedelta(days=8), True)
    # A delivered status re-times the request only until it has gone.
    assert retime_on_delivery(after_delivery, request_sent=False)
    assert not retime_on_delivery(after_delivery, request_sent=True)


def test_every_default_email_renders_with_stars_in_both_languages() -> None:
    for (step, locale), source in content.TEMPLATES.items():
        context = sample_context(locale)
        context["products"] = [{"title": "Linen shirt", "url": "https://app.test/review/t?p=1"}]
        rendered = render(source, context, locale)
        assert "Linen shirt" in rendered.html
        assert rendered.html.count("https://app.test/review/t?p=1&r=") == 5, (step, locale)
        assert "https://app.test/review/t?p=1" in rendered.text
    assert "Noter 5/5" in render(content.TEMPLATES[(1, "fr")], sample_context("fr"), "fr").html


def test_every_reason_is_labelled_in_both_languages() -> None:
    for reason in [*StopReason, TIMED_FROM_DELIVERY]:
        assert content.REASONS[reason].fr
        assert content.REASONS[reason].en
    assert content.KINDS["retimed"].fr


def snapshot(**change: object) -> ReviewSnapshot:
    base = ReviewSnapshot(
        has_customer=True,
        email="a@example.test",
        email_marketing_state="subscribed",
        redacted=False,
        shop_uninstalled=False,
        cancelled=False,
        fully_refunded=False,
        unreviewed=2,
    )
    return replace(base, **change)  # type: ignore[arg-type]


def test_the_rule() -> None:
    assert why_not(snapshot()) is None
    assert why_not(snapshot(cancelled=True)) == StopReason.ORDER_CANCELLED
    assert why_not(snapshot(fully_refunded=True)) == StopReason.ORDER_REFUNDED
    assert why_not(snapshot(unreviewed=0)) == StopReason.NOTHING_TO_REVIEW
    assert why_not(snapshot(email_marketing_state="not_subscribed")) == (
        StopReason.NO_MARKETING_CONSENT
    )
    assert why_not(snapshot(email_marketing_state="not_subscribed", transactional=True)) is None
    assert why_not(snapshot(has_customer=False)) == StopReason.NO_CUSTOMER
    assert why_not(snapshot(scenario_paused=True, cancelled=True)) == StopReason.SCENARIO_PAUSED
