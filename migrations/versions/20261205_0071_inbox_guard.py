"""webhook_events: a partial index on the unprocessed deliveries of a shop, by topic

The checks before a cart step and before its send read the shop's unprocessed order and
checkout deliveries, a bounded number of them (app/inbox/backlog.py). Through
(shop_id, status) alone, a backlog of other topics would still be walked row by row before
the first order is found; this index holds only the waiting rows (a processed row leaves it)
and reaches the order and checkout topics directly. Built CONCURRENTLY, so a large inbox is
not locked for writes while it builds.

Revision ID: 0071_inbox_guard
Revises: 0030_reviews
Create Date: 2026-12-05 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0071_inbox_guard"
down_revision: str | None = "0071_customer_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_webhook_events_unprocessed_topic"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            _INDEX,
            "webhook_events",
            ["shop_id", "topic"],
            postgresql_where=sa.text("status IN ('received', 'failed')"),
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(_INDEX, "webhook_events", postgresql_concurrently=True, if_exists=True)
