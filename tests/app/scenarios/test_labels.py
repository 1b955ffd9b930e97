"""Every code a scenario stores on the timeline has its English and French label."""

from __future__ import annotations

from app.messaging.guards import Outcome
from app.scenarios import abandoned_cart, labels


def test_every_abandoned_cart_reason_has_a_label_in_both_languages() -> None:
    codes = {
        value
        for name, value in vars(abandoned_cart).items()
        if name.isupper() and isinstance(value, str) and name != "SCENARIO"
    }
    assert "customer_placed_another_order" in codes
    assert sorted(codes - set(labels.REASONS)) == []
    for code in codes:
        text = labels.REASONS[code]
        assert text.en, code
        assert text.fr != text.en, code


def test_every_message_outcome_has_a_kind_label() -> None:
    outcomes = {v for k, v in vars(Outcome).items() if k.isupper()}
    assert sorted(f"message_{o}" for o in outcomes if f"message_{o}" not in labels.KINDS) == []


def test_a_reason_with_details_is_labelled_by_its_code() -> None:
    assert labels.reason_label("smtp: 550 5.1.1 No such user", "fr") == (
        "Le serveur de messagerie l'a refusé"
    )
    assert labels.reason_label("no_marketing_consent:pending", "en") == (
        "The customer has not agreed to marketing emails"
    )
    assert labels.reason_label("something_new", "fr") == "something_new"
