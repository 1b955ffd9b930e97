"""Whether Boomerang may act for a shop: every job checks this before doing anything."""

from __future__ import annotations

from app.models import Shop


def is_active(shop: Shop) -> bool:
    """Installed and not uninstalled or redacted: scheduled actions run only for active shops."""
    return (
        shop.installed_at is not None and shop.uninstalled_at is None and shop.redacted_at is None
    )


def has_usable_token(shop: Shop) -> bool:
    return is_active(shop) and shop.access_token_encrypted is not None
