"""kpifast run outcomes: the holdout comparison rolled up by the local day a run started
(scenario, day, treated or held out → subjects, converted, revenue, Σ revenue²), so the lift
endpoint sums a few rows per day instead of joining the period's runs with their orders

Revision ID: 0080_kpifast_run_outcomes
Revises: 0070_kpi_programs
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0080_kpifast_run_outcomes"
down_revision: str | None = "0070_kpi_programs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kpi_run_outcomes",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("subjects", sa.BigInteger(), nullable=False),
        sa.Column("converted", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Numeric(), nullable=False),
        sa.Column("revenue_squares", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_kpi_run_outcomes_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "shop_id", "scenario", "day", "held", name=op.f("pk_kpi_run_outcomes")
        ),
    )
    # As kpi_daily's: a period's read is a short index range, workers cost more than they save.
    op.execute("ALTER TABLE kpi_run_outcomes SET (parallel_workers = 0)")
    # The triggers of scenario_runs and orders (0060_kpis) already mark the days the outcomes
    # depend on. The days holding runs already, so the roll-up job files their outcomes after
    # the upgrade (or `boomerang kpis rebuild` at once).
    op.execute(
        "INSERT INTO kpi_dirty_days (shop_id, day) "
        "SELECT DISTINCT shop_id, (started_at AT TIME ZONE 'UTC')::date FROM scenario_runs "
        "WHERE started_at IS NOT NULL ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    op.drop_table("kpi_run_outcomes")
