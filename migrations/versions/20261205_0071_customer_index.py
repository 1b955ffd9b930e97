"""customer index: keyset sort indexes and a trigram search index on customers; quiet hours'
off switch

Revision ID: 0071_customer_index
Revises: 0030_reviews
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0071_customer_index"
down_revision: str | None = "0071_loyalty_store_credit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_customers_shop_id_id", "customers", ["shop_id", "id"])
    op.create_index(
        "ix_customers_shop_id_sort_name",
        "customers",
        [
            "shop_id",
            sa.text("lower(coalesce(first_name, ''))"),
            sa.text("lower(coalesce(last_name, ''))"),
            "id",
        ],
    )
    op.create_index(
        "ix_customers_shop_id_sort_email",
        "customers",
        ["shop_id", sa.text("lower(coalesce(email, ''))"), "id"],
    )
    op.create_index(
        "ix_customers_shop_id_orders_count_id", "customers", ["shop_id", "orders_count", "id"]
    )
    op.create_index(
        "ix_customers_shop_id_total_spent_id", "customers", ["shop_id", "total_spent", "id"]
    )
    op.execute(
        "CREATE INDEX ix_customers_search_trgm ON customers USING gin "
        "(lower(first_name) gin_trgm_ops, lower(last_name) gin_trgm_ops, "
        "lower(email) gin_trgm_ops)"
    )
    op.add_column(
        "messaging_settings",
        sa.Column(
            "quiet_hours_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("messaging_settings", "quiet_hours_enabled")
    op.drop_index("ix_customers_search_trgm", table_name="customers")
    op.drop_index("ix_customers_shop_id_total_spent_id", table_name="customers")
    op.drop_index("ix_customers_shop_id_orders_count_id", table_name="customers")
    op.drop_index("ix_customers_shop_id_sort_email", table_name="customers")
    op.drop_index("ix_customers_shop_id_sort_name", table_name="customers")
    op.drop_index("ix_customers_shop_id_id", table_name="customers")
    # pg_trgm stays: another schema object may have come to use it.
