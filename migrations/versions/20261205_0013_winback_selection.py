"""win-back selection: per-customer order statistics, and when a customer signed up

`customer_order_stats` holds, per customer, the count of their (not cancelled) orders, the
first and last, and the median gap between them: the orders handler keeps it, and the
scheduled win-back selection pages through it by (shop_id, customer_id) instead of
aggregating orders. Backfilled here from the orders already stored.

`customers.signed_up_at` is set by the first customers/create applied: the welcome series
starts from that one statement, whatever order the deliveries arrive in.

Revision ID: 0013_winback_selection
Revises: 0011_pool_verification
Create Date: 2026-12-05 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_winback_selection"
down_revision: str | None = "0011_pool_verification"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A migration never changes once it lands: its own copy of app/order_stats.py's statement.
_BACKFILL = """
INSERT INTO customer_order_stats
    (shop_id, customer_id, orders_count, first_order_at, last_order_at,
     median_interval_seconds)
SELECT shop_id, customer_id, count(*), min(placed_at), max(placed_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM gap))
           FILTER (WHERE gap IS NOT NULL)
FROM (
    SELECT shop_id, customer_id, placed_at,
           placed_at - lag(placed_at)
               OVER (PARTITION BY shop_id, customer_id ORDER BY placed_at) AS gap
    FROM orders
    WHERE customer_id IS NOT NULL AND cancelled_at IS NULL AND placed_at IS NOT NULL
) AS placed
GROUP BY shop_id, customer_id
ON CONFLICT (shop_id, customer_id) DO UPDATE SET
    orders_count = excluded.orders_count,
    first_order_at = excluded.first_order_at,
    last_order_at = excluded.last_order_at,
    median_interval_seconds = excluded.median_interval_seconds
"""


def upgrade() -> None:
    op.add_column("customers", sa.Column("signed_up_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "customer_order_stats",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("orders_count", sa.BigInteger(), nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_order_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("median_interval_seconds", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_order_stats_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_customer_order_stats_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", "customer_id", name=op.f("pk_customer_order_stats")),
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("customer_order_stats")
    op.drop_column("customers", "signed_up_at")
