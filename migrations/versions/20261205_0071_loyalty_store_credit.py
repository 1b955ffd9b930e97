"""loyalty_store_credit: a redemption paid as Shopify store credit remembers when it first
asked Shopify for the credit and the credit transaction Shopify made, once

Revision ID: 0071_loyalty_store_credit
Revises: 0031_order_deliveries
Create Date: 2026-12-05 11:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0071_loyalty_store_credit"
down_revision: str | None = "0031_order_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "loyalty_redemptions",
        sa.Column("credit_requested_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "loyalty_redemptions",
        sa.Column("store_credit_transaction_id", sa.String(128), nullable=True),
    )
    # A credit transaction at Shopify pays one redemption at most.
    op.create_unique_constraint(
        "uq_loyalty_redemptions_shop_id_store_credit_transaction_id",
        "loyalty_redemptions",
        ["shop_id", "store_credit_transaction_id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        "uq_loyalty_redemptions_shop_id_store_credit_transaction_id",
        "loyalty_redemptions",
        type_="unique",
    )
    op.drop_column("loyalty_redemptions", "store_credit_transaction_id")
    op.drop_column("loyalty_redemptions", "credit_requested_at")
