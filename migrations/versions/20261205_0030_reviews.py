"""reviews: reviews, their photos, each shop's review settings

Revision ID: 0030_reviews
Revises: 0014_loyalty
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030_reviews"
down_revision: str | None = "0060_kpis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("product_title", sa.Text(), nullable=False),
        sa.Column("order_name", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(length=255), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("verified_buyer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_because", sa.String(length=64), nullable=True),
        sa.Column("reward", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        sa.CheckConstraint(
            "status IN ('pending', 'published', 'hidden', 'spam')",
            name=op.f("ck_reviews_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_reviews_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_reviews_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reviews_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint(
            "shop_id", "order_id", "product_id", name=op.f("uq_reviews_shop_id_order_id_product_id")
        ),
    )
    op.create_index(
        "ix_reviews_shop_id_product_id_status", "reviews", ["shop_id", "product_id", "status"]
    )
    op.create_index("ix_reviews_shop_id_customer_id", "reviews", ["shop_id", "customer_id"])
    op.create_index(
        "ix_reviews_shop_id_status_submitted_at", "reviews", ["shop_id", "status", "submitted_at"]
    )
    op.create_table(
        "review_photos",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("review_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.BigInteger(), nullable=False),
        sa.Column("height", sa.BigInteger(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_review_photos_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_photos_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_photos")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_review_photos_storage_key")),
    )
    op.create_index("ix_review_photos_review_id", "review_photos", ["review_id"])
    op.create_table(
        "review_settings",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("options", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_review_settings_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_review_settings")),
    )


def downgrade() -> None:
    op.drop_table("review_settings")
    op.drop_index("ix_review_photos_review_id", table_name="review_photos")
    op.drop_table("review_photos")
    op.drop_index("ix_reviews_shop_id_status_submitted_at", table_name="reviews")
    op.drop_index("ix_reviews_shop_id_customer_id", table_name="reviews")
    op.drop_index("ix_reviews_shop_id_product_id_status", table_name="reviews")
    op.drop_table("reviews")
