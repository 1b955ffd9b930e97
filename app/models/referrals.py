"""The referral program's tables: each advocate's personal code (a Shopify discount for their
friends) and its link's visits, the referrals their codes brought (one per order), and the
shop's first-order customer segment at Shopify. Every row carries shop_id."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps

REFERRAL_STATUSES = ("pending", "flagged", "qualified", "rewarded", "rejected", "void")


class ReferralCode(Timestamps, Base):
    """An advocate's personal code: one per customer, created at Shopify through the codes
    service (`discount_code_id`), shared as `APP_URL/r/{code}`."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id"),
        UniqueConstraint("shop_id", "code"),
        # The KPI roll-up reads the codes issued in a day.
        Index("ix_referral_codes_shop_id_created_at", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # Upper case, as the codes service makes them; NULL until Shopify has the discount.
    code: Mapped[str | None] = mapped_column(String(64))
    discount_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("discount_codes.id", ondelete="SET NULL")
    )
    # Why the advocate got it: first_paid_order or sign_up.
    issued_because: Mapped[str] = mapped_column(String(32))
    visits: Mapped[int] = mapped_column(default=0)
    last_visited_at: Mapped[datetime | None]


class ReferralVisit(Base):
    """One visit of a share link (the KPI's link visits). Nothing about the visitor is kept."""

    __tablename__ = "referral_visits"
    __table_args__ = (Index("ix_referral_visits_shop_id_visited_at", "shop_id", "visited_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    referral_code_id: Mapped[int] = mapped_column(
        ForeignKey("referral_codes.id", ondelete="CASCADE"), index=True
    )
    visited_at: Mapped[datetime]


class Referral(Timestamps, Base):
    """An order that used an advocate's code: one per (shop, order), so a redelivered order
    records it once. Its status moves pending → qualified → rewarded, or flagged (waiting for
    the merchant, with `evidence`), rejected (the merchant said no) or void (refunded or
    cancelled within the hold period)."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        CheckConstraint(
            "status IN ('pending', 'flagged', 'qualified', 'rewarded', 'rejected', 'void')",
            name="status",
        ),
        Index(
            "ix_referrals_shop_id_referrer_id_created_at", "shop_id", "referrer_id", "created_at"
        ),
        # The KPI roll-up reads a day's referrals by when they were recorded, qualified and
        # rewarded.
        Index("ix_referrals_shop_id_created_at", "shop_id", "created_at"),
        Index(
            "ix_referrals_shop_id_qualified_at",
            "shop_id",
            "qualified_at",
            postgresql_where=text("qualified_at IS NOT NULL"),
        ),
        Index(
            "ix_referrals_shop_id_rewarded_at",
            "shop_id",
            "rewarded_at",
            postgresql_where=text("rewarded_at IS NOT NULL"),
        ),
        Index(
            "ix_referrals_due",
            "due_at",
            postgresql_where=text("status IN ('pending', 'qualified')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    referral_code_id: Mapped[int] = mapped_column(
        ForeignKey("referral_codes.id", ondelete="CASCADE")
    )
    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    friend_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    # The order's total and currency when recorded (referred revenue).
    order_total: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    browser_ip: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None]
    # The end of the hold period: the referral qualifies then if still paid, not refunded.
    due_at: Mapped[datetime]
    # The fraud rules that fired: [{"rule", "friend", "referrer"}], the two matching values.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # Why it is void, not rewarded after qualifying (the monthly cap), or rejected.
    reason: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    qualified_at: Mapped[datetime | None]
    rewarded_at: Mapped[datetime | None]
    # points or code, and what was given: points, or the single-use code.
    reward_kind: Mapped[str | None] = mapped_column(String(16))
    reward_points: Mapped[int | None]
    reward_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class ReferralSegment(Base):
    """The shop's customer segment of first-time buyers (`number_of_orders = 0`) at Shopify,
    which every friend discount is restricted to; created once."""

    __tablename__ = "referral_segments"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    segment_gid: Mapped[str] = mapped_column(String(128))
