"""The shop's reviews as CSV (a spreadsheet opens it; cells a spreadsheet would run as a
formula are prefixed with an apostrophe) and as JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.models import Review

COLUMNS = (
    "id",
    "status",
    "product_id",
    "product_title",
    "order_name",
    "rating",
    "title",
    "body",
    "author_name",
    "verified_buyer",
    "locale",
    "submitted_at",
    "edited_at",
    "published_at",
    "reply",
    "replied_at",
    "photos",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def review_row(review: Review, photo_urls: Sequence[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in COLUMNS:
        if column == "photos":
            row[column] = list(photo_urls)
            continue
        value = getattr(review, column)
        row[column] = value.isoformat() if isinstance(value, datetime) else value
    return row


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA) else text


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return out.getvalue()
