"""The customer's `$app:loyalty.status` document (app/loyalty/widget_status.py), built from what
was read, the same way by the sync job and by a paid order's write after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

STATUS_VERSION = 1


def status_document(
    lots: Iterable[tuple[datetime, int]], measure: Decimal, referral: dict[str, str] | None
) -> dict[str, Any]:
    """The document from the pending lots (spendable from, points; in that order), the tier
    measure and the referral code and link."""
    lots = list(lots)
    return {
        "v": STATUS_VERSION,
        "pending": sum(points for _at, points in lots),
        # [points, spendable from]: the widget counts the lots still ahead of its own clock.
        "pending_lots": [[points, at.isoformat()] for at, points in lots if points],
        "tier_measure": str(measure),
        "referral": referral,
    }
