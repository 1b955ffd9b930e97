"""Every code a scenario stores on the timeline has its English and French label."""

from __future__ import annotations

from fnmatch import fnmatchcase

from app.i18n import Text
from app.messaging.guards import Outcome
from app.platform.composition import PLATFORM
from app.scenarios import labels
from app.scenarios.abandoned_cart import content as abandoned_cart
from tests.support.recorded_codes import recorded_codes

# Every reason of this build: the generic ones and each scenario's own.
REASONS = PLATFORM.labels.reasons


def _unlabelled(codes: set[str], catalog: dict[str, Text]) -> list[str]:
    """Codes with no label; a code read with an unknown part (`message_*`) needs one label
    it can be."""
    return sorted(
        code
        for code in codes
        if not (code in catalog or ("*" in code and any(fnmatchcase(k, code) for k in catalog)))
    )


def test_every_code_the_code_base_records_has_a_label_in_both_languages() -> None:
    """Read from the source: each reason recorded on the timeline, as a run's stop reason or
    as a message's status reason (scenarios, messaging, jobs, webhooks), and each timeline
    kind. The admin shows these labels; a code without one would show raw."""
    found = recorded_codes()
    # Codes from every place that records them, so a reading that finds nothing fails.
    assert {
        "checkout_abandoned",  # a run starts (abandoned_cart)
        "step_turned_off",  # a step is skipped (engine)
        "sequence_stopped",  # the outbox's guard (abandoned_cart)
        "shop_token_invalid",  # a step's job (jobs/scenarios)
        "shop_uninstalled",  # app/uninstalled (webhooks)
        "attributed_via_engaged_customer",  # an f-string over its function's arguments
        "no_marketing_consent",  # consent (messaging)
        "quiet_hours",  # delivery's deferrals
        "smtp_transient",  # the relay's answers
        "smtp_relay_unavailable",
        "complained",  # suppressions that become a message's reason
    } <= found.reasons
    assert {"started", "step_skipped", "step_awaiting_approval", "recovered"} <= found.kinds
    assert _unlabelled(found.reasons, REASONS) == []
    # A kind is the generic one or a scenario's own (the loyalty program's tier moves, say).
    kinds = PLATFORM.labels.every_kind()
    assert _unlabelled(found.kinds, kinds) == []
    said_once = [
        code
        for code, text in [
            *((c, REASONS[c]) for c in found.reasons if c in REASONS),
            *((c, kinds[c]) for c in found.kinds if c in kinds),
        ]
        if not text.en or not text.fr or text.fr == text.en
    ]
    assert said_once == []  # each label is said in English and in French


def test_every_abandoned_cart_reason_has_a_label_in_both_languages() -> None:
    codes = {
        value
        for name, value in vars(abandoned_cart).items()
        # The reason codes it declares (not its key, nor its templates' building blocks).
        if name.isupper()
        and isinstance(value, str)
        and value.isidentifier()
        and name not in ("KEY", "VIA_CHECKOUT", "VIA_ENGAGEMENT")
    }
    assert "customer_placed_another_order" in codes
    assert sorted(codes - set(REASONS)) == []
    for code in codes:
        text = REASONS[code]
        assert text.en, code
        assert text.fr != text.en, code


def test_every_message_outcome_has_a_kind_label() -> None:
    outcomes = {v for k, v in vars(Outcome).items() if k.isupper()}
    assert sorted(f"message_{o}" for o in outcomes if f"message_{o}" not in labels.KINDS) == []


def test_a_reason_with_details_is_labelled_by_its_code() -> None:
    assert PLATFORM.labels.reason_label("smtp: 550 5.1.1 No such user", "fr") == (
        "Le serveur de messagerie l'a refusé"
    )
    assert PLATFORM.labels.reason_label("no_marketing_consent:pending", "en") == (
        "The customer has not agreed to marketing emails"
    )
    assert PLATFORM.labels.reason_label("something_new", "fr") == "something_new"
