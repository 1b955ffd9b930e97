"""Where each shop's reconciler stands: up to which `updated_at` it has read each resource back
from the Admin API, and whether it last found deliveries missing (a gap)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class ReconcileState(Base):
    __tablename__ = "reconcile_states"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    # The newest updated_at read back per resource; the next run reads from there (inclusive).
    orders_mark: Mapped[datetime | None]
    checkouts_mark: Mapped[datetime | None]
    customers_mark: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]
    # Set when a run found resources no delivery had brought, cleared by a run that found
    # none: while set, a reminder reconciles the shop before it goes out.
    gap_at: Mapped[datetime | None]
    last_missing: Mapped[int] = mapped_column(default=0, server_default="0")
    missing_total: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the webhook subscriptions were last checked (and re-registered where missing).
    subscriptions_checked_at: Mapped[datetime | None]
