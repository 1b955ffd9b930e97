"""The reviews program's declaration: its section of customer data requests and redactions.
It listens to no fact (the review request is a journey: app/scenarios/review_request/).
Declaring it registers nothing: app/platform/programs.py lists it."""

from __future__ import annotations

from app.compliance.registry import Section
from app.platform.program import Program
from app.reviews import compliance, rewards

REVIEWS = Program(
    key="reviews",
    compliance=(
        Section(name="reviews", export=compliance.export_reviews, erase=compliance.erase_reviews),
    ),
    reasons=rewards.REASONS,
)
