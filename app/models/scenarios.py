"""Scenario runs (one per shop, scenario and subject), the customer
timeline that says why every automated action happened, and recovered-order attribution."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class ScenarioRun(Timestamps, Base):
    __tablename__ = "scenario_runs"
    __table_args__ = (
        UniqueConstraint("shop_id", "scenario", "subject_key"),
        # The due-step scan: only active runs, oldest due first, across every shop, in keyset
        # pages on (next_step_at, id).
        Index(
            "ix_scenario_runs_due",
            "next_step_at",
            "id",
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_scenario_runs_shop_id_customer_id", "shop_id", "customer_id"),
        Index("ix_scenario_runs_shop_id_email", "shop_id", text("lower(email)")),
        # The KPI roll-up reads a day's started runs.
        Index("ix_scenario_runs_shop_id_started_at", "shop_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    # What the run is about, e.g. the checkout token for abandoned_cart.
    subject_key: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # The next step to run (0-based) and when it is due; the anchor is what delays count from.
    step_index: Mapped[int] = mapped_column(default=0)
    anchor_at: Mapped[datetime]
    next_step_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(64))
    # Last reminder opened/clicked: starts the attribution window for customer orders.
    engaged_at: Mapped[datetime | None]
    # When the relay last accepted one of the run's messages (not when one was queued).
    last_step_sent_at: Mapped[datetime | None]
    # Discount codes handed out by this run's steps (to price recovered orders' discounts).
    issued_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)


class TimelineEntry(Base):
    """One decision an automation made about a customer, with its reason."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_entries_shop_id_customer_id_at", "shop_id", "customer_id", "at"),
        Index("ix_timeline_entries_shop_id_run_id", "shop_id", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("scenario_runs.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    # started / not_started / step_queued / step_drafted / step_awaiting_approval /
    # step_suppressed / step_skipped / stopped / recovered / message_sent / message_suppressed /
    # message_deferred / message_failed / message_rejected … (labels: app/scenarios/labels.py)
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[int | None]
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class ScenarioConversion(Base):
    """An order a scenario can claim, with the revenue and what the discount cost."""

    __tablename__ = "scenario_conversions"
    __table_args__ = (UniqueConstraint("shop_id", "order_id", "scenario"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(ForeignKey("scenario_runs.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # checkout_token (the same checkout) or engaged_customer (opened/clicked, then ordered)
    attributed_via: Mapped[str] = mapped_column(String(32))
    revenue: Mapped[Decimal]
    discount_cost: Mapped[Decimal]
    currency: Mapped[str | None] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(server_default=func.now())
