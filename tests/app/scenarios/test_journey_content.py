"""The welcome package's settings and content: defaults as the issue states them,
the admin API's partial updates and bilingual refusals, every default email valid in English
and French, every reason labelled in both."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.messaging.templates import render, sample_context
from app.scenarios.config import InvalidSettings, apply_patch, resolve
from app.scenarios.welcome import content as welcome
from app.scenarios.welcome.rule import StopReason
from app.scenarios.welcome.settings import WelcomeSettings


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
    assert problem.field == "steps.2.delay_seconds"
    assert problem.code == "delay_order"
    assert "step 3 (offer) must come later than step 2 (best_sellers)" in problem.text.en
    assert "doit venir après l'étape 2" in problem.text.fr


def test_the_best_sellers_email_lists_the_products() -> None:
    rendered = render(welcome.CONTENT.templates[(2, "fr")], sample_context("fr"), "fr")
    assert "Chemise en lin" in rendered.html
    assert "à partir de" in rendered.text
    assert "https://example.myshopify.com/products/linen-shirt" in rendered.text


def test_every_reason_is_labelled_in_both_languages() -> None:
    for reason in StopReason:
        assert welcome.REASONS[reason].fr
    assert welcome.CODE_PURPOSE == "welcome"
