"""The welcome series' rule, over a plain snapshot of the customer: may the series start (on
CustomerCreated or CustomerSubscribed), and may its next step go out. The same function
decides both, so what stops a step is exactly what would have kept the series from starting.

Pure: no database, no clock. Starting twice is prevented by the run's natural key
(shop, "welcome", customer id), not here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from app.scenarios.engine import StepPlan
from app.scenarios.welcome.settings import WelcomeSettings

SUBSCRIBED = "subscribed"

# Why a series started (the timeline's reason for "started").
STARTED_ON_SIGN_UP = "customer_signed_up"
STARTED_ON_SUBSCRIBE = "customer_subscribed"


class StopReason(enum.StrEnum):
    """Why the series does not start, or stops before a step (labels: content.py)."""

    SHOP_UNINSTALLED = "shop_uninstalled"
    SCENARIO_PAUSED = "scenario_paused"
    CUSTOMER_REDACTED = "customer_redacted"
    # Known to us only by a consent change or an update: an account older than what we saw
    # (created before the install, say), not a sign-up to welcome.
    NOT_A_SIGN_UP = "customer_not_a_new_sign_up"
    NO_EMAIL = "no_email"
    NO_MARKETING_CONSENT = "no_marketing_consent"
    # Its own code: win-back's "customer_ordered" means another thing (labels are global).
    CUSTOMER_ORDERED = "customer_placed_first_order"


@dataclass(frozen=True)
class WelcomeSnapshot:
    """What the rule needs to know, as queries.load_snapshot reads it."""

    email: str | None
    email_marketing_state: str | None
    redacted: bool
    has_ordered: bool
    shop_uninstalled: bool
    # We received the customer's sign-up (customers/create): the series is for new accounts.
    signed_up: bool
    # The merchant paused the series (settings, not the customer's row).
    scenario_paused: bool = False


def why_not(snapshot: WelcomeSnapshot) -> StopReason | None:
    """None when the series may start (or its next step go out); otherwise the first reason
    it may not, most final first."""
    if snapshot.shop_uninstalled:
        return StopReason.SHOP_UNINSTALLED
    if snapshot.scenario_paused:
        return StopReason.SCENARIO_PAUSED
    if snapshot.redacted:
        return StopReason.CUSTOMER_REDACTED
    if not snapshot.signed_up:
        return StopReason.NOT_A_SIGN_UP
    if snapshot.has_ordered:
        # The series welcomes someone who has not bought yet: the first order ends it.
        return StopReason.CUSTOMER_ORDERED
    if not snapshot.email:
        return StopReason.NO_EMAIL
    if snapshot.email_marketing_state != SUBSCRIBED:
        return StopReason.NO_MARKETING_CONSENT
    return None


def steps(settings: WelcomeSettings) -> list[StepPlan]:
    """The series' steps, their delays counted from the run's anchor (the sign-up)."""
    return [
        StepPlan(step.key, timedelta(seconds=step.delay_seconds), step.enabled)
        for step in settings.steps
    ]
