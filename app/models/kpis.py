"""The analytics layer's tables: a shop's attribution and holdout settings, the roll-ups the
KPI API reads (by day, and by month for long periods), the one attribution each order gets,
the days waiting to be rolled up again, and point-in-time snapshots (retention, loyalty,
reviews), and the outcomes of scenario runs by start day (the holdout lift). Definitions:
docs/kpis.md."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Identity, Index, Numeric, String, false, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base

# Counts and money in one column: 20 digits, 4 after the point.
Figure = Numeric(20, 4)


class AnalyticsSettings(Base):
    """How a shop's orders are attributed, and which scenarios hold out a share of subjects."""

    __tablename__ = "analytics_settings"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    attribution_window_days: Mapped[int] = mapped_column(default=5)
    # {scenario key: percent held out}; a scenario absent or at 0 holds nobody out.
    holdouts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class KpiDaily(Base):
    """One figure of one source (a scenario or program key, or "store") for one day in the
    shop's timezone; step 0 is the whole source, 1.. its steps."""

    __tablename__ = "kpi_daily"
    # A period reads every row of its days (the primary key, day second); a series reads one
    # metric over many days.
    __table_args__ = (
        Index("ix_kpi_daily_shop_id_metric_step_day", "shop_id", "metric", "step", "day"),
    )

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(96), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Figure)


class KpiMonthly(Base):
    """The sum of kpi_daily over one month of local days (`month` is its first day), kept with
    it in the same transaction: what a long period reads instead of each of its days."""

    __tablename__ = "kpi_monthly"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(96), primary_key=True)
    value: Mapped[Decimal] = mapped_column(Figure)


class KpiRunOutcome(Base):
    """The holdout comparison's raw material for one scenario, one local day of its runs'
    starts and one group (treated or held out): how many subjects entered, how many converted
    within the lift window, their revenue and the sum of each subject's revenue squared (for
    the variance). Sums over days are a period's groups (app/kpis/lift.py)."""

    __tablename__ = "kpi_run_outcomes"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    scenario: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    held: Mapped[bool] = mapped_column(primary_key=True)
    subjects: Mapped[int]
    converted: Mapped[int]
    # Unbounded numerics: exact sums of money and of its squares, whatever the store's size.
    revenue: Mapped[Decimal] = mapped_column(Numeric)
    revenue_squares: Mapped[Decimal] = mapped_column(Numeric)


class KpiAttribution(Base):
    """The one scenario an order is attributed to (the rule: docs/kpis.md), with its money."""

    __tablename__ = "kpi_attributions"
    __table_args__ = (Index("ix_kpi_attributions_shop_id_day", "shop_id", "day"),)

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    scenario: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_runs.id", ondelete="CASCADE"))
    step: Mapped[int]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    # checkout (the cart's own checkout came back) or engagement (last opened/clicked).
    via: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    placed_at: Mapped[datetime]
    revenue: Mapped[Decimal]
    refunded: Mapped[Decimal]
    discount_cost: Mapped[Decimal]


class KpiDirtyDay(Base):
    """A mark: a UTC day whose raw rows a statement changed since the day was last rolled up.
    One row per writing statement (the triggers insert, never upsert: no writer waits for
    another's mark), committed with the rows it stands for (migration 0093)."""

    __tablename__ = "kpi_dirty_days"
    __table_args__ = (Index("ix_kpi_dirty_days_shop_id_day", "shop_id", "day"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    shop_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    # Marked by a change a run's holdout outcome reads (a run started, an order placed or
    # changed): the outcomes of the lift window before it are recomputed too.
    outcomes: Mapped[bool] = mapped_column(server_default=false(), default=False)


class KpiSnapshot(Base):
    """A point-in-time figure set (retention, loyalty) recomputed by the roll-up job."""

    __tablename__ = "kpi_snapshots"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[datetime]
