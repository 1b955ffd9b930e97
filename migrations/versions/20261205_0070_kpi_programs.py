"""kpi programs: the monthly sums of the daily roll-up (long periods), the triggers that mark
the days of the referral and review programs' rows, and the indexes their daily figures read

Revision ID: 0070_kpi_programs
Revises: 0030_reviews
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070_kpi_programs"
down_revision: str | None = "0072_onboarding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0060_kpis: one INSERT … ON CONFLICT DO NOTHING per statement over its transition
# table, marking the UTC day of each timestamp the roll-up files a row under (docs/kpis.md).
_MARK = (
    "INSERT INTO kpi_dirty_days (shop_id, day) "
    "SELECT DISTINCT shop_id, (t AT TIME ZONE 'UTC')::date FROM ({rows}) AS marked "
    "WHERE t IS NOT NULL ON CONFLICT DO NOTHING"
)

# The send days of an order's review request: whether it was answered is filed there.
_REQUEST_DAYS = (
    "SELECT m.shop_id, coalesce(m.sent_at, m.sending_started_at) AS t FROM {rows} r "
    "JOIN messages m ON m.shop_id = r.shop_id AND m.scenario = 'review_request' "
    "AND m.subject_key = 'order:' || r.order_id"
)
_REFERRAL_DAYS = (
    "SELECT shop_id, t FROM {rows}, "
    "LATERAL (VALUES (created_at), (qualified_at), (rewarded_at)) AS v(t)"
)
_PHOTO_DAYS = (
    "SELECT r.shop_id, r.submitted_at AS t FROM {rows} p JOIN reviews r ON r.id = p.review_id"
)

_TRIGGERS: dict[str, dict[str, str]] = {
    "referral_visits": {"INSERT": "SELECT shop_id, visited_at AS t FROM new_rows"},
    # A code counts once Shopify has it (the code is written then).
    "referral_codes": {
        "INSERT": "SELECT shop_id, created_at AS t FROM new_rows",
        "UPDATE": "SELECT shop_id, created_at AS t FROM new_rows UNION ALL "
        "SELECT shop_id, created_at FROM old_rows",
    },
    # Recorded, qualified and rewarded days; a status change (void, rejected) changes the
    # recorded day's figures.
    "referrals": {
        "INSERT": _REFERRAL_DAYS.format(rows="new_rows"),
        "UPDATE": _REFERRAL_DAYS.format(rows="new_rows")
        + " UNION ALL "
        + _REFERRAL_DAYS.format(rows="old_rows"),
    },
    # The day a review was written, and its order's request days (answered or not).
    "reviews": {
        "INSERT": "SELECT shop_id, submitted_at AS t FROM new_rows UNION ALL "  # noqa: S608
        + _REQUEST_DAYS.format(rows="new_rows"),
        "UPDATE": "SELECT shop_id, submitted_at AS t FROM new_rows UNION ALL "  # noqa: S608
        "SELECT shop_id, submitted_at FROM old_rows UNION ALL "
        + _REQUEST_DAYS.format(rows="new_rows")
        + " UNION ALL "
        + _REQUEST_DAYS.format(rows="old_rows"),
        "DELETE": "SELECT shop_id, submitted_at AS t FROM old_rows UNION ALL "  # noqa: S608
        + _REQUEST_DAYS.format(rows="old_rows"),
    },
    # A photo added or taken away (an edit, a redaction) changes its review's day.
    "review_photos": {
        "INSERT": _PHOTO_DAYS.format(rows="new_rows"),
        "DELETE": _PHOTO_DAYS.format(rows="old_rows"),
    },
}

# The days already holding program rows, so the roll-up job files them after the upgrade.
_BACKFILL = (
    "INSERT INTO kpi_dirty_days (shop_id, day) "  # noqa: S608 - fixed text
    "SELECT DISTINCT shop_id, (t AT TIME ZONE 'UTC')::date FROM ("
    "SELECT shop_id, visited_at AS t FROM referral_visits "
    "UNION ALL SELECT shop_id, created_at FROM referral_codes "
    "UNION ALL " + _REFERRAL_DAYS.format(rows="referrals") + " "
    "UNION ALL SELECT shop_id, submitted_at FROM reviews"
    ") AS marked WHERE t IS NOT NULL ON CONFLICT DO NOTHING"
)


def _names(table: str, event: str) -> tuple[str, str]:
    return f"kpi_mark_{table}_{event.lower()}", f"trg_kpi_mark_{table}_{event.lower()}"


def _referencing(event: str) -> str:
    if event == "UPDATE":
        return "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    if event == "DELETE":
        return "REFERENCING OLD TABLE AS old_rows"
    return "REFERENCING NEW TABLE AS new_rows"


def upgrade() -> None:
    op.create_table(
        "kpi_monthly",
        sa.Column("shop_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("metric", sa.String(length=96), nullable=False),
        sa.Column("value", sa.Numeric(20, 4), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_kpi_monthly_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "shop_id", "month", "source", "step", "metric", name=op.f("pk_kpi_monthly")
        ),
    )
    # A period's read is a few thousand rows by index: parallel workers cost more to start than
    # they save (measured on the bench: 30 ms with two workers, 7 ms without, on 2 cores).
    op.execute("ALTER TABLE kpi_daily SET (parallel_workers = 0)")
    op.execute("ALTER TABLE kpi_monthly SET (parallel_workers = 0)")
    # The months of what is rolled up already.
    op.execute(
        "INSERT INTO kpi_monthly (shop_id, month, source, step, metric, value) "
        "SELECT shop_id, date_trunc('month', day)::date, source, step, metric, sum(value) "
        "FROM kpi_daily GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0"
    )
    op.create_index("ix_referrals_shop_id_created_at", "referrals", ["shop_id", "created_at"])
    op.create_index(
        "ix_referrals_shop_id_qualified_at",
        "referrals",
        ["shop_id", "qualified_at"],
        postgresql_where=sa.text("qualified_at IS NOT NULL"),
    )
    op.create_index(
        "ix_referrals_shop_id_rewarded_at",
        "referrals",
        ["shop_id", "rewarded_at"],
        postgresql_where=sa.text("rewarded_at IS NOT NULL"),
    )
    op.create_index(
        "ix_referral_codes_shop_id_created_at", "referral_codes", ["shop_id", "created_at"]
    )
    op.create_index("ix_reviews_shop_id_submitted_at", "reviews", ["shop_id", "submitted_at"])
    for table, events in _TRIGGERS.items():
        for event, rows in events.items():
            function, trigger = _names(table, event)
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"{_MARK.format(rows=rows)}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {_referencing(event)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    op.execute(_BACKFILL)


def downgrade() -> None:
    for table, events in _TRIGGERS.items():
        for event in events:
            function, trigger = _names(table, event)
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_index("ix_reviews_shop_id_submitted_at", "reviews")
    op.drop_index("ix_referral_codes_shop_id_created_at", "referral_codes")
    op.drop_index("ix_referrals_shop_id_rewarded_at", "referrals")
    op.drop_index("ix_referrals_shop_id_qualified_at", "referrals")
    op.drop_index("ix_referrals_shop_id_created_at", "referrals")
    op.drop_table("kpi_monthly")
    op.execute("ALTER TABLE kpi_daily RESET (parallel_workers)")
