"""The loyalty program's tables: the append-only points ledger, each customer's account (the
cached balance, kept in the same transaction as every ledger row), each shop's program
settings, and points earned by guest checkouts, held by email until that email is a customer.
Every row carries shop_id."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps

LEDGER_KINDS = ("earn", "redeem", "clawback", "expire", "adjust", "bonus")

# Points per unit of the shop's currency, the tier multiplier included.
Rate = Numeric(12, 4)


class PointsLedgerEntry(Base):
    """One movement of points. Never updated nor deleted: the balance is the sum of these.
    (shop, customer, kind, source) is the natural key, so a replayed webhook or a retried job
    cannot write the same movement twice."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        UniqueConstraint("shop_id", "customer_id", "kind", "source_type", "source_id"),
        CheckConstraint(
            "kind IN ('earn', 'redeem', 'clawback', 'expire', 'adjust', 'bonus')", name="kind"
        ),
        Index(
            "ix_points_ledger_shop_id_customer_id_available_at",
            "shop_id",
            "customer_id",
            "available_at",
        ),
        Index("ix_points_ledger_shop_id_order_id", "shop_id", "order_id"),
        # The KPI roll-up reads a day's movements.
        Index("ix_points_ledger_shop_id_created_at", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    delta: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    # What caused it: ("order", order id), ("refund", refund id), ("manual", the caller's
    # idempotency key), ("customer", customer id) for a sign-up bonus, ("review", …) …
    source_type: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(128))
    # The order an earn or clawback belongs to (a refund's clawback names its order too).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # The money the points were computed from, in the shop's currency: the order's eligible
    # subtotal for an earn, the refunded subtotal for a refund's clawback.
    amount: Mapped[Decimal | None]
    # Points per unit of currency an earn used (the rule and multiplier of that day).
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    reason: Mapped[str | None] = mapped_column(Text)
    # "system", or "user:<Shopify user id>" for the merchant's staff.
    actor: Mapped[str] = mapped_column(String(64))
    # A clawback names the earn it reverses.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("points_ledger.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # When the points become spendable (the pending period); created_at when there is none.
    available_at: Mapped[datetime]


class LoyaltyAccount(Timestamps, Base):
    """A customer's cached position, locked (FOR UPDATE) and updated with every ledger row."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (UniqueConstraint("shop_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    # The sum of the ledger: pending points included; may be negative after a clawback.
    balance: Mapped[int] = mapped_column(default=0)
    # The part of balance not yet spendable, as of pending_as_of.
    pending: Mapped[int] = mapped_column(default=0)
    pending_as_of: Mapped[datetime | None]
    tier: Mapped[str | None] = mapped_column(String(64))
    tier_changed_at: Mapped[datetime | None]
    # The birthday the customer gave through the storefront (yearly birthday points).
    birth_date: Mapped[date | None]
    # The dearest reward cost the customer was told they can afford (app/loyalty/notices.py).
    reward_notified_cost: Mapped[int] = mapped_column(default=0, server_default="0")
    # The tier the customer was last told they reached (lowered when they drop).
    tier_notified: Mapped[str | None] = mapped_column(String(64))
    # When the customer's waiting notices job runs (None: none waits): a gain calling for the
    # job defers no second one that would run later (app/loyalty/notice_triggers.py).
    notices_due_at: Mapped[datetime | None]


class LoyaltyProgram(Timestamps, Base):
    """A shop's program settings (app/loyalty/settings.py validates them)."""

    __tablename__ = "loyalty_programs"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class LoyaltyGuestPoints(Base):
    """Points a paid order earned with no customer attached, held by the order's email and
    credited (as that order's earn, at the rate of the day it was paid) when a customer with
    that email appears."""

    __tablename__ = "loyalty_guest_points"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id"),
        Index("ix_loyalty_guest_points_shop_id_email", "shop_id", text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    # NULL once the person asked to be forgotten (customers/redact): held points then stay
    # unclaimed.
    email: Mapped[str | None] = mapped_column(String(320))
    points: Mapped[int]
    amount: Mapped[Decimal]
    rate: Mapped[Decimal] = mapped_column(Rate)
    available_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    claimed_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE")
    )
    claimed_at: Mapped[datetime | None]


class LoyaltyRedemption(Timestamps, Base):
    """Points spent on a reward. Written in the same transaction as its `redeem` ledger entry
    (source ("redemption", id)), before Shopify is asked for anything; the reward's code is
    then created with the idempotency key `code_key(id)`, so whatever fails half-way, the
    redemption ends `issued` (its code exists at Shopify) or `returned` (Shopify refused it
    for good, and an `adjust` entry gave the points back). `pending` is the state between."""

    __tablename__ = "loyalty_redemptions"
    __table_args__ = (
        # One redemption per request, however often the shopper's browser sends it.
        UniqueConstraint("shop_id", "customer_id", "request_key"),
        # A store credit transaction at Shopify pays one redemption at most.
        UniqueConstraint("shop_id", "store_credit_transaction_id"),
        CheckConstraint("status IN ('pending', 'issued', 'returned')", name="status"),
        CheckConstraint("cost > 0", name="cost_positive"),
        Index(
            "ix_loyalty_redemptions_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_loyalty_redemptions_shop_id_discount_code_id", "shop_id", "discount_code_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    request_key: Mapped[str] = mapped_column(String(128))
    reward_key: Mapped[str] = mapped_column(String(64))
    # The reward as it was configured when redeemed (kind, value, minimum, days valid).
    reward: Mapped[dict[str, Any]] = mapped_column(JSONB)
    cost: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    code: Mapped[str | None] = mapped_column(String(64))
    discount_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("discount_codes.id", ondelete="SET NULL")
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(32))
    # Store credit rewards: when Shopify was first asked for the credit (after which a retry
    # looks for that credit before asking again: storeCreditAccountCredit takes no
    # idempotency key), and the credit transaction that paid the redemption.
    credit_requested_at: Mapped[datetime | None]
    store_credit_transaction_id: Mapped[str | None] = mapped_column(String(128))
