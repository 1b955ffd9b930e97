"""onboarding: the shop's postal address and sender identity, and the setup guide's steps

Revision ID: 0072_onboarding
Revises: 0071_loyalty_store_credit
Create Date: 2026-12-05 11:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0072_onboarding"
down_revision: str | None = "0071_inbox_guard"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("shops", sa.Column("postal_address", sa.Text(), nullable=True))
    op.add_column("shops", sa.Column("sender_name", sa.String(100), nullable=True))
    op.add_column("shops", sa.Column("sender_reply_to", sa.String(320), nullable=True))
    op.add_column("shops", sa.Column("sender_address", sa.String(320), nullable=True))
    op.add_column("shops", sa.Column("logo_url", sa.Text(), nullable=True))
    op.add_column("shops", sa.Column("brand_color", sa.String(7), nullable=True))
    op.create_table(
        "setup_guides",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "shop_id",
            sa.BigInteger(),
            sa.ForeignKey("shops.id", ondelete="CASCADE", name="fk_setup_guides_shop_id_shops"),
            nullable=False,
        ),
        sa.Column("sender_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("previewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("test_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_setup_guides"),
        sa.UniqueConstraint("shop_id", name="uq_setup_guides_shop_id"),
    )


def downgrade() -> None:
    op.drop_table("setup_guides")
    for column in (
        "brand_color",
        "logo_url",
        "sender_address",
        "sender_reply_to",
        "sender_name",
        "postal_address",
    ):
        op.drop_column("shops", column)
