"""The welcome and win-back packages' settings and content: defaults as the issue states them,
the admin API's partial updates and bilingual refusals, every default email valid in English
and French, every reason labelled in both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.i18n import Locale
from app.messaging.defaults import TemplateSource
from app.messaging.templates import render, sample_context, validate
from app.scenarios.config import InvalidSettings, apply_patch, resolve
from app.scenarios.welcome import content as welcome
from app.scenarios.welcome.rule import StopReason
from app.scenarios.welcome.settings import WelcomeSettings
from app.scenarios.winback import content as winback
from app.scenarios.winback.rule import SkipReason
from app.scenarios.winback.settings import WinbackSettings


def test_welcome_defaults() -> None:
    settings = resolve(WelcomeSettings, {})
    assert isinstance(settings, WelcomeSettings)
    first, second, third = settings.steps
    assert (first.key, first.delay_seconds, first.discount) == ("welcome", 0, None)
    assert (second.key, second.delay_seconds / 86400, second.discount) == ("best_sellers", 2, None)
    assert (third.key, third.delay_seconds / 86400) == ("offer", 5)
    assert third.discount is not None
    assert third.discount.value == Decimal(10)


def test_welcome_first_order_code_is_turned_on_by_a_patch() -> None:
    stored = apply_patch(WelcomeSettings, {}, {"steps": {"welcome": {"discount": {"value": "5"}}}})
    settings = resolve(WelcomeSettings, stored)
    assert isinstance(settings, WelcomeSettings)
    assert settings.steps[0].discount is not None
    assert settings.steps[0].discount.value == Decimal(5)


def test_welcome_steps_keep_their_order() -> None:
    with pytest.raises(InvalidSettings) as refused:
        apply_patch(WelcomeSettings, {}, {"steps": {"offer": {"delay_seconds": 3600}}})
    problem = refused.value.problems[0]
    assert "later than the one before" in problem.text.en
    assert "plus grand" in problem.text.fr


def test_winback_defaults_and_bounds() -> None:
    settings = resolve(WinbackSettings, {})
    assert isinstance(settings, WinbackSettings)
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
@pytest.mark.parametrize("templates", [winback.TEMPLATES])
def test_every_default_email_is_valid(
    templates: dict[tuple[str, int, Locale], TemplateSource], locale: Locale
) -> None:
    keys = [key for key in templates if key[2] == locale]
    assert keys
    for key in keys:
        rendered = validate(templates[key], locale)
        assert rendered.subject
        assert "{{" not in rendered.html


def test_the_best_sellers_email_lists_the_products() -> None:
    rendered = render(welcome.CONTENT.templates[(2, "fr")], sample_context("fr"), "fr")
    assert "Linen shirt" in rendered.html
    assert "à partir de" in rendered.text
    assert "https://example.myshopify.com/products/linen-shirt" in rendered.text


def test_every_reason_is_labelled_in_both_languages() -> None:
    for reason in StopReason:
        assert welcome.REASONS[reason].fr
    for skip in SkipReason:
        assert winback.REASONS[skip].fr
    assert welcome.PRIORITY > winback.PRIORITY
    assert welcome.CODE_PURPOSE == "welcome"
    assert winback.CODE_PURPOSE == "win_back"
