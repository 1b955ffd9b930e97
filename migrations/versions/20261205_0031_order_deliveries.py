"""order_deliveries: the first delivered status of each order (the review request's "after
delivery" timing)

Revision ID: 0031_order_deliveries
Revises: 0030_reviews
Create Date: 2026-12-05 11:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_order_deliveries"
down_revision: str | None = "0030_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_deliveries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("order_shopify_id", sa.BigInteger(), nullable=False),
        sa.Column("fulfillment_shopify_id", sa.BigInteger(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column(
            "learnt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_order_deliveries_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_deliveries")),
        sa.UniqueConstraint(
            "shop_id", "order_shopify_id", name=op.f("uq_order_deliveries_shop_id_order_shopify_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("order_deliveries")
