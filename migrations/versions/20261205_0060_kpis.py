"""kpis: analytics settings (attribution window, holdouts), daily roll-ups, one attribution
per order, snapshots, and the triggers that mark the days whose raw rows changed

Revision ID: 0060_kpis
Revises: 0014_loyalty
Create Date: 2026-12-05 08:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0060_kpis"
down_revision: str | None = "0040_referrals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIGURE = sa.Numeric(20, 4)
_MONEY = sa.Numeric(18, 4)

# Statement-level triggers over transition tables: one INSERT … ON CONFLICT DO NOTHING per
# statement, whatever its row count (a COPY of a million rows marks each day once). Each
# marks the UTC day of the timestamps the roll-up files a row under (docs/kpis.md).
_MARK = (
    "INSERT INTO kpi_dirty_days (shop_id, day) "
    "SELECT DISTINCT shop_id, (t AT TIME ZONE 'UTC')::date FROM ({rows}) AS marked "
    "WHERE t IS NOT NULL ON CONFLICT DO NOTHING"
)

_TRIGGERS: dict[str, dict[str, str]] = {
    # A message counts on its send day (sent, delivered, bounced, opens, clicks) or on its
    # requested day (suppressed).
    "messages": {
        "INSERT": "SELECT shop_id, requested_at AS t FROM new_rows UNION ALL "
        "SELECT shop_id, coalesce(sent_at, sending_started_at) FROM new_rows",
        "UPDATE": "SELECT n.shop_id, t FROM new_rows n JOIN old_rows o ON o.id = n.id, "
        "LATERAL (VALUES (n.requested_at), (o.requested_at), "
        "(coalesce(n.sent_at, n.sending_started_at)), (coalesce(o.sent_at, o.sending_started_at))"
        ") AS v(t) WHERE n.status IS DISTINCT FROM o.status "
        "OR n.status_reason IS DISTINCT FROM o.status_reason "
        "OR n.sent_at IS DISTINCT FROM o.sent_at OR n.requested_at IS DISTINCT FROM o.requested_at",
    },
    # An open, click or bounce counts on its message's send day.
    "message_events": {
        "INSERT": "SELECT m.shop_id, coalesce(m.sent_at, m.sending_started_at) AS t "
        "FROM new_rows e JOIN messages m ON m.id = e.message_id",
    },
    "orders": {
        "INSERT": "SELECT shop_id, placed_at AS t FROM new_rows",
        "UPDATE": "SELECT n.shop_id, t FROM new_rows n JOIN old_rows o ON o.id = n.id, "
        "LATERAL (VALUES (n.placed_at), (o.placed_at)) AS v(t) "
        "WHERE n.placed_at IS DISTINCT FROM o.placed_at "
        "OR n.cancelled_at IS DISTINCT FROM o.cancelled_at "
        "OR n.total_price IS DISTINCT FROM o.total_price "
        "OR n.customer_id IS DISTINCT FROM o.customer_id",
    },
    # A refund changes its order's net revenue, filed on the order's day.
    "refunds": {
        "INSERT": "SELECT o.shop_id, o.placed_at AS t FROM new_rows r JOIN orders o "
        "ON o.shop_id = r.shop_id AND o.shopify_id = r.order_shopify_id",
    },
    "order_discount_codes": {
        "INSERT": "SELECT o.shop_id, o.placed_at AS t FROM new_rows c JOIN orders o "
        "ON o.id = c.order_id",
    },
    "scenario_runs": {
        "INSERT": "SELECT shop_id, started_at AS t FROM new_rows",
    },
    "points_ledger": {
        "INSERT": "SELECT shop_id, created_at AS t FROM new_rows",
    },
    "loyalty_redemptions": {
        "INSERT": "SELECT shop_id, issued_at AS t FROM new_rows",
        "UPDATE": "SELECT n.shop_id, n.issued_at AS t FROM new_rows n JOIN old_rows o "
        "ON o.id = n.id WHERE n.issued_at IS DISTINCT FROM o.issued_at "
        "OR n.status IS DISTINCT FROM o.status",
    },
    "loyalty_accounts": {
        "INSERT": "SELECT shop_id, created_at AS t FROM new_rows",
    },
}


def _trigger_names(table: str, event: str) -> tuple[str, str]:
    return f"kpi_mark_{table}_{event.lower()}", f"trg_kpi_mark_{table}_{event.lower()}"


def upgrade() -> None:
    op.create_table(
        "analytics_settings",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("attribution_window_days", sa.BigInteger(), nullable=False, server_default="5"),
        sa.Column(
            "holdouts",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
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
            name=op.f("fk_analytics_settings_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_analytics_settings")),
    )
    op.create_table(
        "kpi_daily",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(length=96), nullable=False),
        sa.Column("value", _FIGURE, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_kpi_daily_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "shop_id", "day", "source", "step", "metric", name=op.f("pk_kpi_daily")
        ),
    )
    # A series reads one metric over many days.
    op.create_index(
        "ix_kpi_daily_shop_id_metric_step_day", "kpi_daily", ["shop_id", "metric", "step", "day"]
    )
    op.create_table(
        "kpi_attributions",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revenue", _MONEY, nullable=False),
        sa.Column("refunded", _MONEY, nullable=False),
        sa.Column("discount_cost", _MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_kpi_attributions_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_kpi_attributions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["scenario_runs.id"],
            name=op.f("fk_kpi_attributions_run_id_scenario_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_kpi_attributions_message_id_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("shop_id", "order_id", name=op.f("pk_kpi_attributions")),
    )
    op.create_index("ix_kpi_attributions_shop_id_day", "kpi_attributions", ["shop_id", "day"])
    op.create_table(
        "kpi_dirty_days",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "day", name=op.f("pk_kpi_dirty_days")),
    )
    op.create_table(
        "kpi_snapshots",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_kpi_snapshots_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shop_id", "source", name=op.f("pk_kpi_snapshots")),
    )
    # What the roll-up reads by day: messages by send day, events by message, runs by start.
    op.create_index(
        "ix_messages_shop_id_sent_at",
        "messages",
        ["shop_id", "sent_at"],
        postgresql_where=sa.text("sent_at IS NOT NULL"),
    )
    op.create_index("ix_messages_shop_id_requested_at", "messages", ["shop_id", "requested_at"])
    op.create_index("ix_orders_shop_id_placed_at", "orders", ["shop_id", "placed_at"])
    op.create_index(
        "ix_scenario_runs_shop_id_started_at", "scenario_runs", ["shop_id", "started_at"]
    )
    op.create_index(
        "ix_points_ledger_shop_id_created_at", "points_ledger", ["shop_id", "created_at"]
    )
    for table, events in _TRIGGERS.items():
        for event, rows in events.items():
            function, trigger = _trigger_names(table, event)
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_MARK.format(rows=rows)}; RETURN NULL; END $$"
            )
            referencing = (
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
                if event == "UPDATE"
                else "REFERENCING NEW TABLE AS new_rows"
            )
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )


def downgrade() -> None:
    for table, events in _TRIGGERS.items():
        for event in events:
            function, trigger = _trigger_names(table, event)
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index("ix_points_ledger_shop_id_created_at", "points_ledger")
    op.drop_index("ix_scenario_runs_shop_id_started_at", "scenario_runs")
    op.drop_index("ix_orders_shop_id_placed_at", "orders")
    op.drop_index("ix_messages_shop_id_requested_at", "messages")
    op.drop_index("ix_messages_shop_id_sent_at", "messages")
    op.drop_table("kpi_snapshots")
    op.drop_table("kpi_dirty_days")
    op.drop_index("ix_kpi_attributions_shop_id_day", "kpi_attributions")
    op.drop_table("kpi_attributions")
    op.drop_index("ix_kpi_daily_shop_id_metric_step_day", "kpi_daily")
    op.drop_table("kpi_daily")
    op.drop_table("analytics_settings")
