"""webhook pipeline: delivery times that break updated_at ties, the sweeper's job bookkeeping,
and the fulfillments/refunds order indexes led by shop_id like every other tenant index

Revision ID: 0007_webhook_pipeline
Revises: 0006_scenarios
Create Date: 2026-12-01 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_webhook_pipeline"
down_revision: str | None = "0006_scenarios"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("customers", sa.Column("triggered_at", _TIMESTAMP, nullable=True))
    op.add_column("customers", sa.Column("email_consent_triggered_at", _TIMESTAMP, nullable=True))
    op.add_column("checkouts", sa.Column("triggered_at", _TIMESTAMP, nullable=True))
    op.add_column("webhook_events", sa.Column("job_id", sa.String(length=200), nullable=True))
    op.add_column("webhook_events", sa.Column("next_attempt_at", _TIMESTAMP, nullable=True))

    for table in ("fulfillments", "refunds"):
        op.create_index(
            op.f(f"ix_{table}_shop_id_order_shopify_id"),
            table,
            ["shop_id", "order_shopify_id"],
            unique=False,
        )
        op.drop_index(op.f(f"ix_{table}_order_shopify_id"), table_name=table)


def downgrade() -> None:
    for table in ("fulfillments", "refunds"):
        op.create_index(
            op.f(f"ix_{table}_order_shopify_id"), table, ["order_shopify_id"], unique=False
        )
        op.drop_index(op.f(f"ix_{table}_shop_id_order_shopify_id"), table_name=table)

    op.drop_column("webhook_events", "next_attempt_at")
    op.drop_column("webhook_events", "job_id")
    op.drop_column("checkouts", "triggered_at")
    op.drop_column("customers", "email_consent_triggered_at")
    op.drop_column("customers", "triggered_at")
