"""loyalty_accounts.notices_due_at: when the customer's waiting notices job runs

A gain of points that calls for the customer's notices job (app/loyalty/notice_triggers.py)
reads this, under the account's lock, and defers no second job when one already waits that
runs no later than its own would. Before, every gain in another 5-second slot deferred one
more job while the first had not run yet (a burst of orders, or a backlog behind which the
notices wait): 2,718 notices runs for 3,000 orders of 750 customers in bench/loyalty, where 750
had something to say. NULL when no job waits (or the last one has run).

Revision ID: 0092_loyalty_notices_due
Revises: pipeperf_0091_reconciled_index
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0092_loyalty_notices_due"
down_revision: str | None = "pipeperf_0091_reconciled_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "loyalty_accounts",
        sa.Column("notices_due_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("loyalty_accounts", "notices_due_at")
