"""The customer's `$app:loyalty.status` document (app/loyalty/widget_status.py), built from what
was read, the same way by the sync job and by a paid order's write after commit; and the
`$app:loyalty` metafields (points, tier, status) both of them write. Pure: no I/O, no client."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

STATUS_VERSION = 1
# Shopify's namespace of the app's own metafields ($app:loyalty).
LOYALTY_NAMESPACE = "$app:loyalty"


def measure_text(measure: Decimal) -> str:
    """The tier measure as the storefront reads it: the same value is the same text whichever
    way it was summed ("0.0000" and "0" are "0"; "120.5000" is "120.5"), so two writers of the
    same position never write two texts of it."""
    return format(measure.normalize(), "f")


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
        "tier_measure": measure_text(measure),
        "referral": referral,
    }


def loyalty_metafields(
    *, points: int | None, tier: str | None, status: dict[str, Any] | None
) -> list[tuple[str, str, str, str]]:
    """The `$app:loyalty` metafields (namespace, key, type, value) of the values given, each
    left out when None: the sync job's requests and a paid order's `CustomerWrite` write the
    same ones."""
    fields: list[tuple[str, str, str, str]] = []
    if points is not None:
        fields.append((LOYALTY_NAMESPACE, "points", "number_integer", str(int(points))))
    if tier is not None:
        fields.append((LOYALTY_NAMESPACE, "tier", "single_line_text_field", tier))
    if status is not None:
        fields.append(
            (LOYALTY_NAMESPACE, "status", "json", json.dumps(status, separators=(",", ":")))
        )
    return fields
