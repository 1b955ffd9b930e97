"""discount codes: one-off codes, code pools and their pool codes

The integrator re-chains down_revision after the other branches' migrations.

Revision ID: 0005_discount_codes
Revises: 0004_messaging
Create Date: 2026-11-23 05:08:41.427351
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_discount_codes"
down_revision: str | None = "0004_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discount_pools",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seed_code", sa.String(length=64), nullable=False),
        sa.Column("shopify_discount_id", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("value_type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("minimum_subtotal", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("combines_with", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("target_size", sa.BigInteger(), nullable=False),
        sa.Column("low_watermark", sa.BigInteger(), nullable=False),
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
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_discount_pools_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_pools")),
        sa.UniqueConstraint(
            "shop_id", "seed_code", name=op.f("uq_discount_pools_shop_id_seed_code")
        ),
    )
    op.create_index(
        "uq_discount_pools_shop_id_scenario_live",
        "discount_pools",
        ["shop_id", "scenario"],
        unique=True,
        postgresql_where=sa.text("status <> 'retired'"),
    )
    op.create_table(
        "discount_codes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_gid", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("value_type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("minimum_subtotal", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("combines_with", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shopify_id", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("redeemed_order_id", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_amount", sa.Numeric(precision=18, scale=4), nullable=True),
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
            name=op.f("fk_discount_codes_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_order_id"],
            ["orders.id"],
            name=op.f("fk_discount_codes_redeemed_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_discount_codes_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_codes")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_discount_codes_shop_id_code")),
        sa.UniqueConstraint(
            "shop_id", "idempotency_key", name=op.f("uq_discount_codes_shop_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_discount_codes_creating",
        "discount_codes",
        ["shop_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'creating'"),
    )
    op.create_index(
        "ix_discount_codes_shop_id_customer_id",
        "discount_codes",
        ["shop_id", "customer_id"],
        unique=False,
    )
    op.create_table(
        "pool_codes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("pool_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bulk_creation_id", sa.String(length=128), nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_order_id", sa.BigInteger(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["discount_pools.id"],
            name=op.f("fk_pool_codes_pool_id_discount_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_order_id"],
            ["orders.id"],
            name=op.f("fk_pool_codes_redeemed_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_pool_codes_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool_codes")),
        sa.UniqueConstraint("shop_id", "code", name=op.f("uq_pool_codes_shop_id_code")),
    )
    op.create_index(
        "ix_pool_codes_available",
        "pool_codes",
        ["shop_id", "pool_id", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'available'"),
    )
    op.create_index(
        "ix_pool_codes_pending",
        "pool_codes",
        ["shop_id", "pool_id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "uq_pool_codes_shop_id_pool_id_claimed_by",
        "pool_codes",
        ["shop_id", "pool_id", "claimed_by"],
        unique=True,
        postgresql_where=sa.text("claimed_by IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_pool_codes_shop_id_pool_id_claimed_by", table_name="pool_codes")
    op.drop_index("ix_pool_codes_pending", table_name="pool_codes")
    op.drop_index("ix_pool_codes_available", table_name="pool_codes")
    op.drop_table("pool_codes")
    op.drop_index("ix_discount_codes_shop_id_customer_id", table_name="discount_codes")
    op.drop_index("ix_discount_codes_creating", table_name="discount_codes")
    op.drop_table("discount_codes")
    op.drop_index("uq_discount_pools_shop_id_scenario_live", table_name="discount_pools")
    op.drop_table("discount_pools")
