"""scenarios

Revision ID: 0006_scenarios
Revises: 0005_discount_codes
Create Date: 2026-11-23 05:11:18.181427
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_scenarios"
down_revision: str | None = "0005_discount_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("subject_key", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.BigInteger(), nullable=False),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=64), nullable=True),
        sa.Column("engaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_scenario_runs_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_scenario_runs_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_runs")),
        sa.UniqueConstraint(
            "shop_id",
            "scenario",
            "subject_key",
            name=op.f("uq_scenario_runs_shop_id_scenario_subject_key"),
        ),
    )
    op.create_index(
        "ix_scenario_runs_due",
        "scenario_runs",
        ["next_step_at"],
        unique=False,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_scenario_runs_shop_id_customer_id",
        "scenario_runs",
        ["shop_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_scenario_runs_shop_id_email",
        "scenario_runs",
        ["shop_id", sa.literal_column("lower(email)")],
        unique=False,
    )
    op.create_table(
        "scenario_conversions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("attributed_via", sa.String(length=32), nullable=False),
        sa.Column("revenue", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount_cost", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_scenario_conversions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["scenario_runs.id"],
            name=op.f("fk_scenario_conversions_run_id_scenario_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_scenario_conversions_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_conversions")),
        sa.UniqueConstraint(
            "shop_id",
            "order_id",
            "scenario",
            name=op.f("uq_scenario_conversions_shop_id_order_id_scenario"),
        ),
    )
    op.create_table(
        "timeline_entries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_timeline_entries_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["scenario_runs.id"],
            name=op.f("fk_timeline_entries_run_id_scenario_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_timeline_entries_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entries")),
    )
    op.create_index(
        "ix_timeline_entries_shop_id_customer_id_at",
        "timeline_entries",
        ["shop_id", "customer_id", "at"],
        unique=False,
    )
    op.create_index(
        "ix_timeline_entries_shop_id_run_id",
        "timeline_entries",
        ["shop_id", "run_id"],
        unique=False,
    )


def downgrade() -> None:

    op.drop_index("ix_timeline_entries_shop_id_run_id", table_name="timeline_entries")
    op.drop_index("ix_timeline_entries_shop_id_customer_id_at", table_name="timeline_entries")
    op.drop_table("timeline_entries")
    op.drop_table("scenario_conversions")
    op.drop_index("ix_scenario_runs_shop_id_email", table_name="scenario_runs")
    op.drop_index("ix_scenario_runs_shop_id_customer_id", table_name="scenario_runs")
    op.drop_index(
        "ix_scenario_runs_due",
        table_name="scenario_runs",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_table("scenario_runs")
