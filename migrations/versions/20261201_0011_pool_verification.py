"""discount pools remember when Shopify last confirmed their discount, and why they retired

A merchant can delete or deactivate a pool's discount in Shopify's admin; the pool is then
checked now and then and retired with the reason, and a fresh pool takes over.

Revision ID: 0011_pool_verification
Revises: 0010_scenario_due_scan
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_pool_verification"
down_revision: str | None = "0010_scenario_due_scan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "discount_pools", sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "discount_pools", sa.Column("retired_reason", sa.String(length=32), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("discount_pools", "retired_reason")
    op.drop_column("discount_pools", "verified_at")
