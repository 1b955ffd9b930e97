"""The loyalty program's expected failures, said in English and French."""

from __future__ import annotations

from app.errors import InvalidRequest, NotFound


class InvalidAdjustment(InvalidRequest):
    """A manual adjustment the merchant cannot make as sent (no reason, zero points…)."""


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
