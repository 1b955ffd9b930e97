"""kpi outcome marks: a marked day says whether its change can move the holdout outcomes
(a run started, an order placed or changed), so a day marked only by messages, opens and
clicks is rolled up without recomputing the outcomes of the lift window before it

Revision ID: 0090_kpi_outcome_marks
Revises: 0080_editor_structured_emails
Create Date: 2026-12-05 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0090_kpi_outcome_marks"
down_revision: str | None = "0080_editor_structured_emails"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0060_kpis's marks of the tables a run's outcome reads (app/kpis/lift.py: its own run row,
# and its customer's or checkout's orders), now raising the day's `outcomes` flag: one
# statement per statement, as before; DISTINCT, so no row is updated twice by one statement.
_OUTCOME_MARK = (
    "INSERT INTO kpi_dirty_days (shop_id, day, outcomes) "
    "SELECT DISTINCT shop_id, (t AT TIME ZONE 'UTC')::date, true FROM ({rows}) AS marked "
    "WHERE t IS NOT NULL ON CONFLICT (shop_id, day) DO UPDATE SET outcomes = true "
    "WHERE NOT kpi_dirty_days.outcomes"
)
_MARK = (
    "INSERT INTO kpi_dirty_days (shop_id, day) "
    "SELECT DISTINCT shop_id, (t AT TIME ZONE 'UTC')::date FROM ({rows}) AS marked "
    "WHERE t IS NOT NULL ON CONFLICT DO NOTHING"
)
# The same rows as 0060_kpis marks.
_OUTCOME_TRIGGERS: dict[tuple[str, str], str] = {
    ("orders", "INSERT"): "SELECT shop_id, placed_at AS t FROM new_rows",
    ("orders", "UPDATE"): "SELECT n.shop_id, t FROM new_rows n JOIN old_rows o ON o.id = n.id, "
    "LATERAL (VALUES (n.placed_at), (o.placed_at)) AS v(t) "
    "WHERE n.placed_at IS DISTINCT FROM o.placed_at "
    "OR n.cancelled_at IS DISTINCT FROM o.cancelled_at "
    "OR n.total_price IS DISTINCT FROM o.total_price "
    "OR n.customer_id IS DISTINCT FROM o.customer_id",
    ("scenario_runs", "INSERT"): "SELECT shop_id, started_at AS t FROM new_rows",
}


def _function(table: str, event: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION kpi_mark_{table}_{event.lower()}() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
    )


def upgrade() -> None:
    op.add_column(
        "kpi_dirty_days",
        sa.Column("outcomes", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # Days marked before: what marked them is not known, so their outcomes are recomputed.
    op.execute("UPDATE kpi_dirty_days SET outcomes = true")
    for (table, event), rows in _OUTCOME_TRIGGERS.items():
        op.execute(_function(table, event, _OUTCOME_MARK.format(rows=rows)))


def downgrade() -> None:
    for (table, event), rows in _OUTCOME_TRIGGERS.items():
        op.execute(_function(table, event, _MARK.format(rows=rows)))
    op.drop_column("kpi_dirty_days", "outcomes")
