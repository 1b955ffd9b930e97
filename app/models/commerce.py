"""Shopify's commerce facts normalized from webhooks: customers, checkouts, orders and
what happens to orders afterwards (refunds, fulfillments). Every row carries shop_id."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class Customer(Timestamps, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_customers_shop_id_email", "shop_id", text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int]
    email: Mapped[str | None] = mapped_column(String(320))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    # email_marketing_consent.state: subscribed / not_subscribed / unsubscribed / pending …
    email_marketing_state: Mapped[str | None] = mapped_column(String(32))
    email_marketing_opt_in_level: Mapped[str | None] = mapped_column(String(32))
    email_consent_updated_at: Mapped[datetime | None]
    # X-Shopify-Triggered-At of the delivery our consent came from: breaks ties between two
    # consent changes stamped with the same second.
    email_consent_triggered_at: Mapped[datetime | None]
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    orders_count: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # Newest updated_at wins: a stale customers/update never overwrites a newer one. NULL while
    # we only hold the copy embedded in a checkout or order (it never blocks a customers/*).
    shopify_updated_at: Mapped[datetime | None]
    # X-Shopify-Triggered-At of the customers/* delivery we hold: breaks updated_at ties.
    triggered_at: Mapped[datetime | None]
    redacted_at: Mapped[datetime | None]
    # When the first customers/create we applied said the customer was created (its
    # created_at, else the delivery's trigger time). Set once: the statement that sets it is
    # the one that says CustomerCreated, so a redelivered customers/create says nothing.
    signed_up_at: Mapped[datetime | None]


class CustomerOrderStats(Base):
    """What a customer's orders say about their rhythm, kept by the orders handler
    (app/order_stats.py): the win-back selection reads one row per customer instead of
    aggregating their orders on every page. Cancelled orders do not count."""

    __tablename__ = "customer_order_stats"

    # The primary key (shop_id, customer_id) is the selection's keyset index.
    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    orders_count: Mapped[int]
    first_order_at: Mapped[datetime]
    last_order_at: Mapped[datetime]
    # The median of the gaps between consecutive orders, in seconds; NULL below two orders.
    median_interval_seconds: Mapped[float | None] = mapped_column(Double)


class Checkout(Timestamps, Base):
    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("shop_id", "token"),
        Index("ix_checkouts_shop_id_customer_id", "shop_id", "customer_id"),
        Index("ix_checkouts_shop_id_email", "shop_id", text("lower(email)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(255))
    cart_token: Mapped[str | None] = mapped_column(String(255))
    shopify_id: Mapped[int | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    subtotal_price: Mapped[Decimal | None]
    total_price: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    presentment_currency: Mapped[str | None] = mapped_column(String(3))
    locale: Mapped[str | None] = mapped_column(String(16))
    abandoned_checkout_url: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    shopify_created_at: Mapped[datetime | None]
    shopify_updated_at: Mapped[datetime | None]
    # X-Shopify-Triggered-At of the delivery we hold: two updates in one second (a cart change,
    # then its completion) share updated_at, and the later-triggered one wins.
    triggered_at: Mapped[datetime | None]


class Order(Timestamps, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_orders_shop_id_checkout_token", "shop_id", "checkout_token"),
        Index("ix_orders_shop_id_customer_id_placed", "shop_id", "customer_id", "placed_at"),
        # The KPI roll-up reads a day's orders.
        Index("ix_orders_shop_id_placed_at", "shop_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(64))
    checkout_token: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    financial_status: Mapped[str | None] = mapped_column(String(32))
    fulfillment_status: Mapped[str | None] = mapped_column(String(32))
    cancelled_at: Mapped[datetime | None]
    subtotal_price: Mapped[Decimal | None]
    total_price: Mapped[Decimal | None]
    total_discounts: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    locale: Mapped[str | None] = mapped_column(String(16))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    browser_ip: Mapped[str | None] = mapped_column(String(64))
    placed_at: Mapped[datetime | None]
    shopify_updated_at: Mapped[datetime | None]


class OrderLineItem(Base):
    __tablename__ = "order_line_items"
    __table_args__ = (UniqueConstraint("shop_id", "shopify_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shopify_id: Mapped[int]
    product_id: Mapped[int | None]
    variant_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(Text)
    variant_title: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int]
    price: Mapped[Decimal]


class OrderDiscountCode(Base):
    __tablename__ = "order_discount_codes"
    __table_args__ = (
        UniqueConstraint("shop_id", "order_id", "code"),
        Index("ix_order_discount_codes_shop_id_code", "shop_id", text("upper(code)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(255))
    amount: Mapped[Decimal]
    type: Mapped[str | None] = mapped_column(String(32))


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_refunds_shop_id_order_shopify_id", "shop_id", "order_shopify_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int]
    order_shopify_id: Mapped[int]
    # In the shop's currency (Shopify's shop_money), whatever the customer paid in.
    amount: Mapped[Decimal]
    currency: Mapped[str | None] = mapped_column(String(3))
    line_items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    refunded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Fulfillment(Base):
    __tablename__ = "fulfillments"
    __table_args__ = (
        UniqueConstraint("shop_id", "shopify_id"),
        Index("ix_fulfillments_shop_id_order_shopify_id", "shop_id", "order_shopify_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    shopify_id: Mapped[int]
    order_shopify_id: Mapped[int]
    status: Mapped[str | None] = mapped_column(String(32))
    tracking_company: Mapped[str | None] = mapped_column(String(255))
    fulfilled_at: Mapped[datetime | None]
    shopify_updated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OrderDelivery(Base):
    """The first delivered status Shopify reported for one of an order's shipments
    (fulfillment_events/create with status delivered, or fulfillments/update with
    shipment_status delivered): one row per order, whichever arrives first. Kept apart from
    `fulfillments` so a delivery heard before its orders/fulfilled does not make that
    fulfilment look already known. Keyed by Shopify ids: the order may not be stored yet."""

    __tablename__ = "order_deliveries"
    __table_args__ = (UniqueConstraint("shop_id", "order_shopify_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_shopify_id: Mapped[int]
    fulfillment_shopify_id: Mapped[int]
    # When Shopify says it was delivered (the event's happened_at, or the fulfilment's
    # updated_at); None when the payload gave no time.
    delivered_at: Mapped[datetime | None]
    # Which topic told us first.
    source: Mapped[str] = mapped_column(String(64))
    # When we learnt it: what the review request counts its delay from.
    learnt_at: Mapped[datetime] = mapped_column(server_default=func.now())
