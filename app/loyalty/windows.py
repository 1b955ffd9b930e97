"""Rolling windows in calendar months (the tiers' window, expiry's inactivity)."""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st falls back to the
    month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)
