"""editor: a template's structured fields (the editor's simple form; none: the template was
written by hand, "advanced"), and the fields a merchant edited a held message with

Revision ID: 0080_editor_structured_emails
Revises: 0070_kpi_programs
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0080_editor_structured_emails"
down_revision: str | None = "0080_kpifast_run_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("message_templates", sa.Column("fields", postgresql.JSONB(), nullable=True))
    op.add_column("messages", sa.Column("edited_fields", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "edited_fields")
    op.drop_column("message_templates", "fields")
