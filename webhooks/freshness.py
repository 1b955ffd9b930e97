"""Newest wins. A version of a record is ordered by Shopify's timestamp for it (`updated_at`,
`consent_updated_at`), then, when two versions share that timestamp (Shopify stamps seconds:
a cart change and its completion can share one), by the delivery's X-Shopify-Triggered-At.
Shopify retries with the original payload, so a late retry still carries its old times.

Unknown stays permissive on our side only: a row with no timestamp yet (e.g. the customer copy
embedded in an order) yields to any version; a version without a timestamp never replaces a
stamped one. The same rule in SQL (for upserts) and in Python (for a row already locked).

The same version sent again is no version at all: Shopify's body is signed but its headers are
not, so a captured body can come back under a new webhook id with a later X-Shopify-Triggered-At.
`same_version_sql` tells an upsert that a row already holding this timestamp and this content
must be left alone (nothing written, no fact published)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, tuple_


def newer_sql(
    stored_at: Any, stored_triggered: Any, new_at: Any, new_triggered: Any
) -> ColumnElement[bool]:
    """True when the new version (new_at, new_triggered) supersedes the stored one."""
    return or_(
        stored_at.is_(None),
        stored_at < new_at,
        and_(
            stored_at == new_at,
            or_(stored_triggered.is_(None), stored_triggered < new_triggered),
        ),
    )


def is_newer(
    stored_at: datetime | None,
    stored_triggered: datetime | None,
    new_at: datetime | None,
    new_triggered: datetime | None,
) -> bool:
    """newer_sql for values already in hand (NULL comparisons read as false, as in SQL)."""
    if stored_at is None:
        return True
    if new_at is None:
        return False
    if stored_at != new_at:
        return stored_at < new_at
    if stored_triggered is None:
        return True
    return new_triggered is not None and stored_triggered < new_triggered


def same_version_sql(
    stored_at: Any, new_at: Any, stored_content: Sequence[Any], new_content: Sequence[Any]
) -> ColumnElement[bool]:
    """True when the row already holds this version: the same timestamp (NULLs equal) and
    the same content, column for column. Trigger times are not content: a replay changes them."""
    return and_(
        stored_at.is_not_distinct_from(new_at),
        tuple_(*stored_content).is_not_distinct_from(tuple_(*new_content)),
    )
