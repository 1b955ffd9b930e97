"""The welcome series' content as the engine takes it: every default email valid in English
and French, every reason and kind labelled in both, its rank among the scenarios."""

from __future__ import annotations

import pytest

from app.i18n import Locale
from app.messaging.templates import validate
from app.platform.composition import PLATFORM
from app.scenarios.config import InvalidSettings, apply_patch, resolve
from app.scenarios.modes import Mode
from app.scenarios.welcome.content import CONTENT, KEY
from app.scenarios.welcome.rule import StopReason
from app.scenarios.welcome.settings import WelcomeSettings


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_step_has_a_valid_default_email(locale: Locale) -> None:
    for step in (1, 2, 3):
        rendered = validate(CONTENT.templates[(step, locale)], locale)
        assert rendered.subject
        assert "{{" not in rendered.html


def test_the_template_book_holds_the_packages_emails_not_placeholders() -> None:
    assert [entry for entry in PLATFORM.templates.entries() if entry[0] == KEY] == [
        (KEY, 1, "en"),
        (KEY, 1, "fr"),
        (KEY, 2, "en"),
        (KEY, 2, "fr"),
        (KEY, 3, "en"),
        (KEY, 3, "fr"),
    ]
    source = PLATFORM.templates.source(KEY, 2, "fr")
    assert source is not None
    assert "products" in source.html


def test_reasons_and_kinds_are_labelled_in_both_languages() -> None:
    for reason in StopReason:
        label = PLATFORM.labels.reasons[reason]
        assert label.en
        assert label.fr
    assert PLATFORM.labels.kind_label("started", "fr", KEY) == "Série de bienvenue démarrée"
    # Below the cart's reminders: when the frequency cap allows one email, the cart's goes.
    cart = PLATFORM.catalog.get("abandoned_cart")
    assert 0 < CONTENT.priority < cart.content.priority
    assert CONTENT.code_purpose == "welcome"


def test_a_welcome_cannot_be_made_transactional() -> None:
    with pytest.raises(InvalidSettings) as refused:
        apply_patch(WelcomeSettings, {}, {"transactional": True})
    (problem,) = refused.value.problems
    assert problem.field == "transactional"
    assert "consent" in problem.text.en
    assert "consentement" in problem.text.fr


def test_off_until_the_merchant_turns_it_on() -> None:
    settings = resolve(WelcomeSettings, {})
    assert isinstance(settings, WelcomeSettings)
    assert settings.mode == Mode.PAUSED
