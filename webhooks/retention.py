"""Retention of the inbox: raw webhook bodies are dropped some days after receipt.

What is purged: the body of a *processed* event received more than `older_than` ago. The row
stays, with its webhook id (the dedup key, so a late retry of the delivery is still recognised
as a duplicate), topic, timestamps and status: the audit trail. Events still waiting keep their
body (the worker needs it), and so do failed ones: the admin replays them from it, and they are
few. Bodies mentioning a customer that asked to be redacted are scrubbed at once by the
compliance handlers, whatever their age.

The work is done in small batches, each its own short transaction that skips rows another
transaction holds, so the purge never holds many row locks for long nor blocks the pipeline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import WebhookEvent
from app.models.webhook_events import WebhookEventStatus

BATCH_SIZE = 1000
# Per run (hourly): a first run over a large, old inbox catches up over several runs instead
# of holding the worker's job slot for long. 200,000 bodies an hour outpaces any inflow.
MAX_BATCHES = 200


async def purge_webhook_bodies(
    sessions: async_sessionmaker[AsyncSession],
    *,
    older_than: timedelta,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> int:
    """Drop the bodies of processed events received before now - `older_than`, at most
    `max_batches` batches of `batch_size`; return how many were dropped."""
    purged = 0
    for _ in range(max_batches):
        async with sessions.begin() as session:
            batch = (
                select(WebhookEvent.id)
                .where(
                    WebhookEvent.body.is_not(None),
                    WebhookEvent.status == WebhookEventStatus.PROCESSED,
                    WebhookEvent.received_at < func.now() - older_than,
                )
                .order_by(WebhookEvent.received_at)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
            ids = list((await session.scalars(batch)).all())
            if ids:
                await session.execute(
                    update(WebhookEvent)
                    .where(WebhookEvent.id.in_(ids))
                    .values(body=None)
                    .execution_options(synchronize_session=False)
                )
        purged += len(ids)
        if len(ids) < batch_size:
            break
    return purged
