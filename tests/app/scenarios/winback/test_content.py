"""Win-back's settings and content: defaults as the issue states them, the admin API's
bilingual refusals, every default email valid in English and French, every reason and kind
labelled in both, and its rank below the cart."""

from __future__ import annotations

import pytest

from app.i18n import Locale
from app.messaging.templates import render, sample_context, validate
from app.scenarios.abandoned_cart.content import CONTENT as CART
from app.scenarios.config import InvalidSettings, apply_patch, resolve
from app.scenarios.winback.content import CONTENT
from app.scenarios.winback.rule import STARTED_LAPSED, SkipReason
from app.scenarios.winback.settings import WinbackSettings


def test_winback_defaults_and_bounds() -> None:
    settings = resolve(WinbackSettings, {})
    assert isinstance(settings, WinbackSettings)
    assert (settings.lapsed_after_days, settings.min_orders_for_rhythm) == (90, 3)
    assert (settings.median_multiplier, settings.cooldown_days) == (2, 180)
    assert settings.min_lapse_days == 14
    offer, reminder = settings.steps
    assert offer.delay_seconds == 0
    assert offer.discount is not None
    assert offer.discount.use_pool
    assert (reminder.key, reminder.delay_seconds / 86400, reminder.discount) == (
        "reminder",
        7,
        None,
    )
    with pytest.raises(InvalidSettings) as refused:
        apply_patch(WinbackSettings, {}, {"lapsed_after_days": 3})
    assert refused.value.problems[0].field == "lapsed_after_days"
    assert "at least 7" in refused.value.problems[0].text.en


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_default_email_is_valid(locale: Locale) -> None:
    steps = sorted(step for step, in_locale in CONTENT.templates if in_locale == locale)
    assert steps == [1, 2]
    for step in steps:
        rendered = validate(CONTENT.templates[(step, locale)], locale)
        assert rendered.subject
        assert "{{" not in rendered.html


def test_the_offer_shows_its_code_in_both_languages() -> None:
    context = {**sample_context("fr"), "discount_code": "MISSYOU-ABC"}
    french = render(CONTENT.templates[(1, "fr")], context, "fr")
    assert "MISSYOU-ABC" in french.text
    assert "Utilisez le code" in french.text
    english = render(CONTENT.templates[(2, "en")], {**sample_context("en"), **context}, "en")
    assert "ends soon" in english.subject


def test_every_reason_and_kind_is_labelled_in_both_languages() -> None:
    for code in [*SkipReason, STARTED_LAPSED]:
        assert CONTENT.reasons[code].en
        assert CONTENT.reasons[code].fr
    for label in CONTENT.kinds.values():
        assert label.en
        assert label.fr
    assert CONTENT.priority < CART.priority
    assert CONTENT.code_purpose == "win_back"
    assert CONTENT.discount_title is not None
    assert CONTENT.discount_title.fr
