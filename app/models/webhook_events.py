"""The webhook inbox: every verified delivery, stored raw before we answer 200."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class WebhookEventStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class WebhookEvent(Base):
    __tablename__ = "webhook_events"
    __table_args__ = (
        # X-Shopify-Webhook-Id is the same on every retry of one delivery: the dedup key.
        UniqueConstraint("shop_id", "webhook_id"),
        # The sweeper looks only at what is still waiting.
        Index(
            "ix_webhook_events_pending",
            "received_at",
            postgresql_where=text("status = 'received'"),
        ),
        Index("ix_webhook_events_shop_id_status", "shop_id", "status"),
        # The live checks before a cart step and its send read a shop's unprocessed order and
        # checkout deliveries, at most a few hundred (app/inbox/backlog.py): this reaches them
        # by topic without walking the shop's other waiting deliveries, and only waiting rows
        # are in it. The predicate is spelled as the queries spell it (literals, not
        # parameters), so a prepared statement's generic plan can still use it.
        Index(
            "ix_webhook_events_unprocessed_topic",
            "shop_id",
            "topic",
            postgresql_where=text("status IN ('received', 'failed')"),
        ),
        # The worker asks, with each event's lock, whether its shop has any processed
        # synthetic (reconciler) event, before looking for the delivery's twin
        # (app/reconcile/versions.py): only those rows are in it, so the answer is one probe
        # whatever the table's statistics. Spelled as the query spells it (literals).
        Index(
            "ix_webhook_events_reconciled_processed",
            "shop_id",
            postgresql_where=text("status = 'processed' AND webhook_id LIKE 'reconcile:%'"),
        ),
        # The retention job looks only at processed events that still hold a body.
        Index(
            "ix_webhook_events_body_retained",
            "received_at",
            postgresql_where=text("body IS NOT NULL AND status = 'processed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(100))
    webhook_id: Mapped[str] = mapped_column(String(100))
    # Shared by the deliveries of one merchant action: correlation only.
    event_id: Mapped[str | None] = mapped_column(String(100))
    triggered_at: Mapped[datetime | None]
    api_version: Mapped[str | None] = mapped_column(String(20))
    # The raw body as received; parsed by the worker, not on the request path. NULL once the
    # retention job purged it (processed events only, WEBHOOK_BODY_RETENTION_DAYS after receipt).
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=WebhookEventStatus.RECEIVED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The queue job expected to process the event; NULL means the receiver's first one
    # (`webhook:{id}`), so the request path writes nothing extra. The sweeper asks the queue
    # whether this job still lives.
    job_id: Mapped[str | None] = mapped_column(String(200))
    # When the retry after a failed attempt is due: a lost retry is re-enqueued for then.
    next_attempt_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
