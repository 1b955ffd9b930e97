"""kpi_dirty_days: one mark per writing statement (append-only), no longer one row per shop and
day that every writer upserts

A mark was `INSERT … ON CONFLICT DO NOTHING` into the (shop, day) row, and since 0090 the
outcome marks (orders, runs) `ON CONFLICT … DO UPDATE … WHERE NOT outcomes`, which locks the
existing row even when nothing is updated: every transaction that wrote an order held the
shop's mark for today until it committed, so the shop's order-writing transactions ran one at
a time (pg_stat_activity during bench/loyalty, 2026-12-05 21:40: nearly every active backend
waiting on `Lock:tuple` in the orders upsert). And DO NOTHING could lose a change: a writer
finding the day marked added nothing; the roll-up could claim the mark and recompute before
that writer committed, and the change then waited for another one to mark its day.

Now each writing statement inserts a mark row of its own: no conflict, no lock, and the mark
becomes visible with the rows it stands for, in the same commit, so a claim (app/kpis/rollup.py)
either sees both or neither. A claim takes whole days (every mark of a day it takes), one
claimer per day (an advisory lock per shop and day).

Revision ID: 0093_kpi_marks_append_only
Revises: 0092_loyalty_notices_due
Create Date: 2026-12-05 21:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0093_kpi_marks_append_only"
down_revision: str | None = "0092_loyalty_notices_due"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTCOME_CONFLICT = (
    " ON CONFLICT (shop_id, day) DO UPDATE SET outcomes = true WHERE NOT kpi_dirty_days.outcomes"
)
_CONFLICT = " ON CONFLICT DO NOTHING"
_FUNCTIONS = """
SELECT p.oid, pg_get_functiondef(p.oid) AS definition
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = current_schema() AND p.proname LIKE 'kpi\\_mark\\_%'
"""


def _rewrite(rewrite: dict[str, str]) -> None:
    connection = op.get_bind()
    for _oid, definition in connection.execute(sa.text(_FUNCTIONS)).all():
        changed = definition
        for old, new in rewrite.items():
            changed = changed.replace(old, new)
        if changed == definition:
            raise RuntimeError(f"a kpi mark function is not in the expected form:\n{definition}")
        connection.exec_driver_sql(changed.replace("%", "%%"))


def upgrade() -> None:
    op.drop_constraint("pk_kpi_dirty_days", "kpi_dirty_days", type_="primary")
    op.add_column(
        "kpi_dirty_days",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
    )
    op.create_primary_key("pk_kpi_dirty_days", "kpi_dirty_days", ["id"])
    op.create_index("ix_kpi_dirty_days_shop_id_day", "kpi_dirty_days", ["shop_id", "day"])
    _rewrite({_OUTCOME_CONFLICT: "", _CONFLICT: ""})


def downgrade() -> None:
    outcome_marks = "INSERT INTO kpi_dirty_days (shop_id, day, outcomes)"
    connection = op.get_bind()
    for _oid, definition in connection.execute(sa.text(_FUNCTIONS)).all():
        clause = _OUTCOME_CONFLICT if outcome_marks in definition else _CONFLICT
        changed = definition.replace(
            "WHERE t IS NOT NULL; RETURN NULL;", f"WHERE t IS NOT NULL{clause}; RETURN NULL;"
        )
        if changed == definition:
            raise RuntimeError(f"a kpi mark function is not in the expected form:\n{definition}")
        connection.exec_driver_sql(changed.replace("%", "%%"))
    op.execute(
        "UPDATE kpi_dirty_days AS d SET outcomes = true WHERE EXISTS (SELECT FROM kpi_dirty_days "
        "AS e WHERE e.shop_id = d.shop_id AND e.day = d.day AND e.outcomes)"
    )
    op.execute(
        "DELETE FROM kpi_dirty_days AS d USING kpi_dirty_days AS e "
        "WHERE d.shop_id = e.shop_id AND d.day = e.day AND d.id > e.id"
    )
    op.drop_index("ix_kpi_dirty_days_shop_id_day", table_name="kpi_dirty_days")
    op.drop_constraint("pk_kpi_dirty_days", "kpi_dirty_days", type_="primary")
    op.drop_column("kpi_dirty_days", "id")
    op.create_primary_key("pk_kpi_dirty_days", "kpi_dirty_days", ["shop_id", "day"])
