"""messages whose SMTP hand-off was never confirmed are `unconfirmed`, not `failed`

A worker that died between handing a message to the relay and recording the answer used to
leave it `failed` with reason `delivery_unconfirmed`; most of those did leave. They now have
a status of their own (counted apart, still counting for attribution); the rows already
marked so are moved to it. No schema change: the status column is free text.

Revision ID: 0015_send_ordering
Revises: 0013_winback_selection
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_send_ordering"
down_revision: str | None = "0013_winback_selection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE messages SET status = 'unconfirmed' "
        "WHERE status = 'failed' AND status_reason = 'delivery_unconfirmed'"
    )


def downgrade() -> None:
    op.execute("UPDATE messages SET status = 'failed' WHERE status = 'unconfirmed'")
