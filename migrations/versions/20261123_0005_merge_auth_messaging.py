"""merge the auth and messaging branches of the schema

Both 0002_auth and 0004_messaging follow 0001_initial; this joins them so `upgrade head`
has one head on branch msg. When the integrator re-chains 0004 after the other migrations,
delete this file.

Revision ID: 0005_merge_auth_messaging
Revises: 0002_auth, 0004_messaging
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_merge_auth_messaging"
down_revision: str | Sequence[str] | None = ("0002_auth", "0004_messaging")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
