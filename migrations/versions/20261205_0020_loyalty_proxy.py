"""loyalty accounts keep the shopper's birthday and which reward threshold they were told of

`birth_date`: the date the customer gave through the storefront (app proxy), for the yearly
birthday points (Shopify's Customer has no birthday field). `reward_notified_cost`: the cost
of the dearest reward the customer was last told they can afford, so the "enough points for a
reward" email goes once per threshold crossing (lowered again when the balance falls below);
`tier_notified`: likewise for the "tier reached" email (lowered when the customer drops).

Revision ID: 0020_loyalty_proxy
Revises: 0014_loyalty
Create Date: 2026-12-05 08:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_loyalty_proxy"
down_revision: str | None = "0014_loyalty"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loyalty_accounts", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column(
        "loyalty_accounts",
        sa.Column("reward_notified_cost", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("loyalty_accounts", sa.Column("tier_notified", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("loyalty_accounts", "tier_notified")
    op.drop_column("loyalty_accounts", "reward_notified_cost")
    op.drop_column("loyalty_accounts", "birth_date")
