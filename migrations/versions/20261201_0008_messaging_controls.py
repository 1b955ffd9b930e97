"""messaging controls: the shop's choice to write unsubscribes back to Shopify, and the
send-time failure of a merchant template kept on it for the editor

Revision ID: 0008_messaging_controls
Revises: 0007_webhook_pipeline
Create Date: 2026-12-01 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_messaging_controls"
down_revision: str | None = "0007_webhook_pipeline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On by default, as it was before the setting existed.
    op.add_column(
        "messaging_settings",
        sa.Column(
            "consent_write_back", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column("message_templates", sa.Column("send_error_en", sa.Text(), nullable=True))
    op.add_column("message_templates", sa.Column("send_error_fr", sa.Text(), nullable=True))
    op.add_column(
        "message_templates",
        sa.Column("send_error_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("message_templates", "send_error_at")
    op.drop_column("message_templates", "send_error_fr")
    op.drop_column("message_templates", "send_error_en")
    op.drop_column("messaging_settings", "consent_write_back")
