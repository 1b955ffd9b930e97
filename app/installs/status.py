"""Whether Boomerang may act for a shop: every job checks this before doing anything."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from app.models import Shop


def is_active(shop: Shop) -> bool:
    """Installed and not uninstalled or redacted: scheduled actions run only for active shops."""
    return (
        shop.installed_at is not None and shop.uninstalled_at is None and shop.redacted_at is None
    )


def has_usable_token(shop: Shop) -> bool:
    return is_active(shop) and shop.access_token_encrypted is not None


def shop_work_runs() -> ColumnElement[bool]:
    """In SQL, what jobs check before working for a shop: not uninstalled, and its token not
    refused by Shopify (a sweep that queues work for a stopped shop would only be skipped)."""
    return and_(Shop.uninstalled_at.is_(None), Shop.token_invalid_at.is_(None))
