"""scenario due-step scan pages by (next_step_at, id)

The cron scan reads due steps in keyset pages ordered by (next_step_at, id): the partial
index on active runs gains the id so each page is an index range scan.

Revision ID: 0010_scenario_due_scan
Revises: 0009_token_lifetime
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_scenario_due_scan"
down_revision: str | None = "0009_token_lifetime"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(
        "ix_scenario_runs_due",
        table_name="scenario_runs",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_scenario_runs_due",
        "scenario_runs",
        ["next_step_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_scenario_runs_due",
        table_name="scenario_runs",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_scenario_runs_due",
        "scenario_runs",
        ["next_step_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
