"""Discount codes Boomerang issued: one-off codes per recipient, and pools of pre-created
single-use codes on one shared discount per shop and scenario. Every row carries shop_id."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class DiscountCodeStatus(enum.StrEnum):
    # Reserved and committed before Shopify is asked: a crash leaves a row to recover from.
    CREATING = "creating"
    ACTIVE = "active"
    # Shopify refused the discount (a userError other than our own code being taken).
    FAILED = "failed"


class DiscountCode(Timestamps, Base):
    __tablename__ = "discount_codes"
    __table_args__ = (
        # One code per idempotency key, whoever asks and however often.
        UniqueConstraint("shop_id", "idempotency_key"),
        UniqueConstraint("shop_id", "code"),
        # The recovery sweep looks only at codes still being created.
        Index(
            "ix_discount_codes_creating",
            "shop_id",
            "created_at",
            postgresql_where=text("status = 'creating'"),
        ),
        Index("ix_discount_codes_shop_id_customer_id", "shop_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DiscountCodeStatus.CREATING)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # gid://shopify/Customer/…: the code is restricted to this customer at Shopify.
    customer_gid: Mapped[str | None] = mapped_column(String(64))
    # gid://shopify/Segment/…: the code is restricted to that customer segment at Shopify.
    customer_segment_gid: Mapped[str | None] = mapped_column(String(128))
    # Uses of the code in all (None: no limit, as a referral code shared with many friends).
    usage_limit: Mapped[int | None] = mapped_column(default=1, server_default="1")
    email: Mapped[str | None] = mapped_column(String(320))
    # percentage (0 < value ≤ 1), fixed_amount (shop currency) or free_shipping.
    value_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal | None]
    minimum_subtotal: Mapped[Decimal | None]
    combines_with: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    title: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    shopify_id: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Filled from orders/* webhooks' discount_codes.
    redeemed_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL")
    )
    redeemed_at: Mapped[datetime | None]
    redeemed_amount: Mapped[Decimal | None]


class DiscountPoolStatus(enum.StrEnum):
    CREATING = "creating"
    ACTIVE = "active"
    # Replaced (e.g. the merchant changed the offer); its claimed codes stay valid.
    RETIRED = "retired"


class PoolRetiredReason(enum.StrEnum):
    # Its discount ends too soon to promise the offer's validity: a fresh pool replaces it.
    ENDING = "ending"
    # The merchant deleted the discount in Shopify's admin: every code on it is dead.
    DELETED_AT_SHOPIFY = "deleted_at_shopify"
    # The merchant deactivated the discount in Shopify's admin before its end.
    DEACTIVATED_AT_SHOPIFY = "deactivated_at_shopify"


class DiscountPool(Timestamps, Base):
    """One shared Shopify discount whose many single-use codes are handed out one by one.
    Codes on it cannot be restricted to one customer each: pools serve scenarios where
    a code goes to a recipient we may not know as a Shopify customer (cart recovery, win-back)."""

    __tablename__ = "discount_pools"
    __table_args__ = (
        Index(
            "uq_discount_pools_shop_id_scenario_live",
            "shop_id",
            "scenario",
            unique=True,
            postgresql_where=text("status <> 'retired'"),
        ),
        UniqueConstraint("shop_id", "seed_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DiscountPoolStatus.CREATING)
    # The code the discount is created with (discountCodeBasicCreate needs one): found again
    # with codeDiscountNodeByCode after a crash, and handed out as the pool's first code.
    seed_code: Mapped[str] = mapped_column(String(64))
    shopify_discount_id: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(32))
    value_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal | None]
    minimum_subtotal: Mapped[Decimal | None]
    combines_with: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    target_size: Mapped[int]
    low_watermark: Mapped[int]
    # When Shopify last confirmed the discount is there and active (a merchant can delete or
    # deactivate it in their admin; nothing tells us but asking).
    verified_at: Mapped[datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(String(32))


class PoolCodeStatus(enum.StrEnum):
    # Generated and sent to discountRedeemCodeBulkAdd; not yet reported imported.
    PENDING = "pending"
    AVAILABLE = "available"
    CLAIMED = "claimed"
    FAILED = "failed"


class PoolCode(Base):
    __tablename__ = "pool_codes"
    __table_args__ = (
        UniqueConstraint("shop_id", "code"),
        # One code per recipient key and pool: a replayed claim gets the same code.
        Index(
            "uq_pool_codes_shop_id_pool_id_claimed_by",
            "shop_id",
            "pool_id",
            "claimed_by",
            unique=True,
            postgresql_where=text("claimed_by IS NOT NULL"),
        ),
        # Claims scan only what is available.
        Index(
            "ix_pool_codes_available",
            "shop_id",
            "pool_id",
            "id",
            postgresql_where=text("status = 'available'"),
        ),
        Index(
            "ix_pool_codes_pending",
            "shop_id",
            "pool_id",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    pool_id: Mapped[int] = mapped_column(ForeignKey("discount_pools.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PoolCodeStatus.PENDING)
    bulk_creation_id: Mapped[str | None] = mapped_column(String(128))
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]
    redeemed_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL")
    )
    redeemed_at: Mapped[datetime | None]
    redeemed_amount: Mapped[Decimal | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
