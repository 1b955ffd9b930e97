"""The reviews program's declaration: its section of customer data requests and redactions,
and the thank-you email that carries a review's code (its default templates, its last check
before leaving, its outcomes on the timeline). It listens to no fact (the review request is a
journey: app/scenarios/review_request/). Declaring it registers nothing:
app/platform/programs.py lists it."""

from __future__ import annotations

from app.compliance.registry import Section
from app.platform.program import Program
from app.reviews import compliance, content, messages, rewards

REVIEWS = Program(
    key=content.PROGRAM_KEY,
    compliance=(
        Section(name="reviews", export=compliance.export_reviews, erase=compliance.erase_reviews),
    ),
    reasons={**rewards.REASONS, **messages.REASONS},
    templates=content.TEMPLATES,
    emails=content.EMAILS,
    guard=messages.code_still_due,
    on_send_outcome=messages.email_outcome,
)
