"""loyalty: the points ledger, customer accounts, program settings, guest points, redemptions

Revision ID: 0014_loyalty
Revises: 0019_retention
Create Date: 2026-12-05 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_loyalty"
down_revision: str | None = "0019_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
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
    ]


def upgrade() -> None:
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("rate", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('earn', 'redeem', 'clawback', 'expire', 'adjust', 'bonus')",
            name=op.f("ck_points_ledger_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_points_ledger_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_points_ledger_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["points_ledger.id"],
            name=op.f("fk_points_ledger_reverses_id_points_ledger"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_points_ledger_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_ledger")),
        sa.UniqueConstraint(
            "shop_id",
            "customer_id",
            "kind",
            "source_type",
            "source_id",
            name=op.f("uq_points_ledger_shop_id_customer_id_kind_source_type_source_id"),
        ),
    )
    op.create_index(
        "ix_points_ledger_shop_id_customer_id_available_at",
        "points_ledger",
        ["shop_id", "customer_id", "available_at"],
    )
    op.create_index("ix_points_ledger_shop_id_order_id", "points_ledger", ["shop_id", "order_id"])

    op.create_table(
        "loyalty_accounts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("pending_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("tier_changed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_accounts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_loyalty_accounts_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint(
            "shop_id", "customer_id", name=op.f("uq_loyalty_accounts_shop_id_customer_id")
        ),
    )

    op.create_table(
        "loyalty_programs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("settings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_loyalty_programs_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programs")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_loyalty_programs_shop_id")),
    )

    op.create_table(
        "loyalty_guest_points",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("rate", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("claimed_customer_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimed_customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_guest_points_claimed_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_loyalty_guest_points_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_loyalty_guest_points_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_guest_points")),
        sa.UniqueConstraint(
            "shop_id", "order_id", name=op.f("uq_loyalty_guest_points_shop_id_order_id")
        ),
    )
    op.create_index(
        "ix_loyalty_guest_points_shop_id_email",
        "loyalty_guest_points",
        ["shop_id", sa.literal_column("lower(email)")],
    )

    op.create_table(
        "loyalty_redemptions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("request_key", sa.String(length=128), nullable=False),
        sa.Column("reward_key", sa.String(length=64), nullable=False),
        sa.Column("reward", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("discount_code_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.String(length=32), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("cost > 0", name=op.f("ck_loyalty_redemptions_cost_positive")),
        sa.CheckConstraint(
            "status IN ('pending', 'issued', 'returned')",
            name=op.f("ck_loyalty_redemptions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loyalty_redemptions_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discount_code_id"],
            ["discount_codes.id"],
            name=op.f("fk_loyalty_redemptions_discount_code_id_discount_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_loyalty_redemptions_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemptions")),
        sa.UniqueConstraint(
            "shop_id",
            "customer_id",
            "request_key",
            name=op.f("uq_loyalty_redemptions_shop_id_customer_id_request_key"),
        ),
    )
    op.create_index(
        "ix_loyalty_redemptions_pending",
        "loyalty_redemptions",
        ["created_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_loyalty_redemptions_shop_id_discount_code_id",
        "loyalty_redemptions",
        ["shop_id", "discount_code_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_loyalty_redemptions_shop_id_discount_code_id", table_name="loyalty_redemptions"
    )
    op.drop_index("ix_loyalty_redemptions_pending", table_name="loyalty_redemptions")
    op.drop_table("loyalty_redemptions")
    op.drop_index("ix_loyalty_guest_points_shop_id_email", table_name="loyalty_guest_points")
    op.drop_table("loyalty_guest_points")
    op.drop_table("loyalty_programs")
    op.drop_table("loyalty_accounts")
    op.drop_index("ix_points_ledger_shop_id_order_id", table_name="points_ledger")
    op.drop_index("ix_points_ledger_shop_id_customer_id_available_at", table_name="points_ledger")
    op.drop_table("points_ledger")
