"""webhook bodies can be purged: `webhook_events.body` becomes nullable

The retention job (jobs/retention.py) drops the raw body of processed events
WEBHOOK_BODY_RETENTION_DAYS after receipt and keeps the row (dedup by webhook id, audit
trail). A partial index on what it still has to purge keeps its scan small: once purged, a
row leaves the index. The index is built CONCURRENTLY, so a large inbox is not locked for
writes while it builds.

Revision ID: 0019_retention
Revises: 0016_reconciler
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_retention"
down_revision: str | None = "0016_reconciler"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_webhook_events_body_retained"


def upgrade() -> None:
    # DROP NOT NULL only changes the catalog: no table rewrite, a brief lock.
    op.alter_column("webhook_events", "body", existing_type=sa.Text(), nullable=True)
    with op.get_context().autocommit_block():
        op.create_index(
            _INDEX,
            "webhook_events",
            ["received_at"],
            postgresql_where=sa.text("body IS NOT NULL AND status = 'processed'"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(_INDEX, "webhook_events", postgresql_concurrently=True, if_exists=True)
    # Purged bodies cannot come back: they become the empty JSON object.
    op.execute("UPDATE webhook_events SET body = '{}' WHERE body IS NULL")
    op.alter_column("webhook_events", "body", existing_type=sa.Text(), nullable=False)
