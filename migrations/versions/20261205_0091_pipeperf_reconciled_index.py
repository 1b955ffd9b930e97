"""webhook_events: a partial index on the processed synthetic (reconciler) events of a shop

The worker asks, in each event's lock, whether the shop has any processed synthetic event
before it looks for the delivery's processed twin (app/reconcile/versions.py): most shops have
none, and their deliveries then skip that look-up's round trip. This index holds only those
rows, so the question is one index probe, planned the same with or without statistics. Built
CONCURRENTLY, so a large inbox is not locked for writes while it builds.

Revision ID: pipeperf_0091_reconciled_index
Revises: 0090_kpi_outcome_marks
Create Date: 2026-12-05 17:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pipeperf_0091_reconciled_index"
down_revision: str | None = "0090_kpi_outcome_marks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_webhook_events_reconciled_processed"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            _INDEX,
            "webhook_events",
            ["shop_id"],
            postgresql_where=sa.text("status = 'processed' AND webhook_id LIKE 'reconcile:%'"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(_INDEX, "webhook_events", postgresql_concurrently=True, if_exists=True)
