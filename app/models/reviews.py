"""The reviews program's tables: one review per (shop, order, product), its photos (the bytes
live in the photo store: local disk or S3), and each shop's review settings. Every row
carries shop_id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps

REVIEW_STATUSES = ("pending", "published", "hidden", "spam")


class Review(Timestamps, Base):
    """What a customer said of one product of one order. Text is stored as typed (HTML is
    text, escaped wherever it is shown). Nothing is public until `status` is published."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", "product_id"),
        Index("ix_reviews_shop_id_product_id_status", "shop_id", "product_id", "status"),
        Index("ix_reviews_shop_id_customer_id", "shop_id", "customer_id"),
        Index("ix_reviews_shop_id_status_submitted_at", "shop_id", "status", "submitted_at"),
        # The KPI roll-up reads a day's reviews whatever their status.
        Index("ix_reviews_shop_id_submitted_at", "shop_id", "submitted_at"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "status IN ('pending', 'published', 'hidden', 'spam')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # Shopify's product id (line items carry it), and its title when the review came in.
    product_id: Mapped[int]
    product_title: Mapped[str] = mapped_column(Text)
    # The order's name (#1001), kept for the admin and exports after an order row is gone.
    order_name: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(16))
    # Submitted through the order's signed link: the author bought the product.
    verified_buyer: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    submitted_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    # Why the auto-publish rule held it (a link, a low rating), for the moderation list.
    held_because: Mapped[str | None] = mapped_column(String(64))
    # What the review earned: {"points": entry id, "photo_points": entry id} or {"code": …}.
    reward: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    anonymised_at: Mapped[datetime | None]


class ReviewPhoto(Base):
    __tablename__ = "review_photos"
    __table_args__ = (UniqueConstraint("storage_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    # Where the re-encoded bytes are in the photo store.
    storage_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]


class ReviewSettingsRow(Base):
    """A shop's review settings (app/reviews/settings.py), as the merchant last saved them."""

    __tablename__ = "review_settings"

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
