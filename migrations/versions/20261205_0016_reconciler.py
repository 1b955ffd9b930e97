"""the reconciler's per-shop marks and gap flag

Missed webhooks are read back from the Admin API: each shop keeps the newest updated_at it has
read per resource, and whether its last run found missing deliveries.

Revision ID: 0016_reconciler
Revises: 0015_send_ordering
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_reconciler"
down_revision: str | None = "0015_send_ordering"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconcile_states",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("orders_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checkouts_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("customers_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gap_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_missing", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("missing_total", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("subscriptions_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_reconcile_states_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_reconcile_states")),
    )


def downgrade() -> None:
    op.drop_table("reconcile_states")
