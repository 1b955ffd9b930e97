"""The loyalty program's expected failures, said in English and French."""

from __future__ import annotations

from typing import Any

from app.errors import InvalidRequest, NotFound
from app.i18n import Locale, Text


class InvalidAdjustment(InvalidRequest):
    """A manual adjustment the merchant cannot make as sent (no reason, zero points…);
    `field` names the form's field (`reason`, `points`, `key`), shown next to it."""

    def __init__(self, text: Text, *, field: str = "") -> None:
        super().__init__(text)
        self.field = field

    def body_fields(self, locale: Locale) -> dict[str, Any]:
        return {"problems": [{"field": self.field, "message": self.text.in_locale(locale)}]}


class CustomerNotFound(NotFound):
    """No customer of this shop has that id."""


class RewardNotFound(NotFound):
    """The program's catalogue has no reward with that key."""


class RewardUnavailable(InvalidRequest):
    """The reward exists but cannot be redeemed now (the program is off, store credit not
    granted…)."""


class NotEnoughPoints(InvalidRequest):
    """The customer's spendable points do not cover the reward."""

    status_code = 409


class InvalidRedemption(InvalidRequest):
    """A redemption request that cannot be taken as sent (no request key…)."""
