"""auth: compliance data requests; shop facts and token state for install and auth

Revision ID: 0002_auth
Revises: 0001_initial
Create Date: 2026-11-23 05:07:47.768826
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_auth"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_data_requests",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("data_request_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_shopify_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("orders_requested", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("export", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_customer_data_requests_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_data_requests")),
        sa.UniqueConstraint(
            "shop_id",
            "data_request_id",
            name=op.f("uq_customer_data_requests_shop_id_data_request_id"),
        ),
    )
    op.add_column("shops", sa.Column("primary_domain_url", sa.Text(), nullable=True))
    op.add_column("shops", sa.Column("token_invalid_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("shops", sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("shops", "redacted_at")
    op.drop_column("shops", "token_invalid_at")
    op.drop_column("shops", "primary_domain_url")
    op.drop_table("customer_data_requests")
