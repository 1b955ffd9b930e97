"""token lifetime: how long the shop's current access token was issued for

Refreshing "a few minutes before expiry" cannot be a fixed window: a token issued for less
than the window would be refreshed on every call. The lifetime makes the window relative.

Revision ID: 0009_token_lifetime
Revises: 0008_messaging_controls
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_token_lifetime"
down_revision: str | None = "0008_messaging_controls"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "shops", sa.Column("access_token_lifetime_seconds", sa.BigInteger(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("shops", "access_token_lifetime_seconds")
