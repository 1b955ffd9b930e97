"""The messaging tables: the outbox, what shoppers did with each message, the merchant's
template overrides and delivery controls, and addresses we must not write to again."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class Message(Timestamps, Base):
    """One email to one shopper. The natural key (shop, scenario, subject, step) is unique, so
    a scenario that replays asks for the same message and gets the existing row back."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("shop_id", "scenario", "subject_key", "step"),
        # The sweeper reads only what is waiting to go out.
        Index(
            "ix_messages_due",
            "scheduled_at",
            postgresql_where=text("status = 'queued'"),
        ),
        # The frequency cap counts a customer's recent sends.
        Index("ix_messages_shop_id_customer_id_sent_at", "shop_id", "customer_id", "sent_at"),
        Index("ix_messages_shop_id_status", "shop_id", "status"),
        Index("ix_messages_message_id_header", "message_id_header"),
        # The KPI roll-up reads a day's messages by send day and by requested day.
        Index(
            "ix_messages_shop_id_sent_at",
            "shop_id",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
        ),
        Index("ix_messages_shop_id_requested_at", "shop_id", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    scenario: Mapped[str] = mapped_column(String(64))
    step: Mapped[int]
    # What the message is about within the scenario: a checkout token, an order id, a run id.
    subject_key: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(64))
    # Rendering inputs kept so the merchant can re-render after editing a template.
    context: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(24))
    # Why the message is where it is: a suppression reason, a deferral reason, an error.
    status_reason: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    transactional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Higher goes first when several messages to one customer are due together.
    priority: Mapped[int] = mapped_column(default=0)
    to_address: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime]
    # The schedule the scenario asked for, before quiet hours or the cap moved it.
    requested_at: Mapped[datetime]
    sending_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Generated and committed before the SMTP hand-off, so a crash after it is recognisable.
    message_id_header: Mapped[str | None] = mapped_column(String(255))
    provider_response: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    approved_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]
    # The fields the merchant rewrote this message with in the approval queue (None: not
    # edited, or edited as raw HTML).
    edited_fields: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class MessageEvent(Base):
    """An open, a click, an unsubscribe, a bounce or a complaint, human or machine."""

    __tablename__ = "message_events"
    __table_args__ = (
        Index("ix_message_events_shop_id_message_id", "shop_id", "message_id"),
        Index("ix_message_events_shop_id_kind_occurred_at", "shop_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # False for Apple's privacy proxy, link scanners, HEAD probes and too-fast hits.
    human: Mapped[bool] = mapped_column(Boolean)
    machine_reason: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    detail: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]


class MessageTemplate(Timestamps, Base):
    """A merchant's override of one scenario step's subject and body in one locale."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("shop_id", "scenario", "step", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    step: Mapped[int]
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    # The structured fields this template was compiled from (app/messaging/structured.py);
    # None: the merchant wrote the template itself ("advanced").
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The latest failure of this version on a real shopper's data (the default wording went
    # instead), in both languages for the editor; cleared when the merchant saves again.
    send_error_en: Mapped[str | None] = mapped_column(Text)
    send_error_fr: Mapped[str | None] = mapped_column(Text)
    send_error_at: Mapped[datetime | None]


class ScenarioSetting(Timestamps, Base):
    """How one scenario's messages are delivered in one shop: live, approval, dry_run, paused,
    and whether the merchant treats it as transactional. `options` is for the scenario engine."""

    __tablename__ = "scenario_settings"
    __table_args__ = (UniqueConstraint("shop_id", "scenario"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    scenario: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16), default="live")
    transactional: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class MessagingSettings(Timestamps, Base):
    """A shop's sending guard rails: the global pause, the frequency cap and quiet hours."""

    __tablename__ = "messaging_settings"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    max_per_day: Mapped[int] = mapped_column(default=1)
    max_per_week: Mapped[int] = mapped_column(default=3)
    quiet_start: Mapped[time] = mapped_column(default=time(21, 0))
    quiet_end: Mapped[time] = mapped_column(default=time(8, 0))
    # The explicit off switch of quiet hours (start and end are kept for when they come back).
    quiet_hours_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )
    # Write a shopper's unsubscribe back to their email consent in Shopify.
    consent_write_back: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=text("true")
    )


class EmailSuppression(Base):
    """An address this shop must not email again: hard bounce, complaint or unsubscribe."""

    __tablename__ = "email_suppressions"
    __table_args__ = (
        UniqueConstraint("shop_id", "address"),
        Index("ix_email_suppressions_shop_id_customer_id", "shop_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # Lower-cased.
    address: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
