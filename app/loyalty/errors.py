"""The loyalty program's expected failures, said in English and French."""

from __future__ import annotations

from app.errors import InvalidRequest, NotFound


class InvalidAdjustment(InvalidRequest):
    """A manual adjustment the merchant cannot make as sent (no reason, zero points…)."""


class CustomerNotFound(NotFound):
    """No customer of this shop has that id."""
