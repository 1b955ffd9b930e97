"""What the merchant's admin can do with the inbox: list events by status and replay a failed
one. Every query is scoped to the shop of the verified session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BoomerangError, NotFound
from app.i18n import Text
from app.models import WebhookEvent, WebhookEventStatus

LIST_LIMIT_MAX = 200


class EventNotFailed(BoomerangError):
    """Only a failed event can be replayed: a received one is still on its way, a processed one
    is done."""

    status_code = 409


@dataclass(frozen=True)
class EventSummary:
    id: int
    topic: str
    webhook_id: str
    status: str
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None


async def list_events(
    session: AsyncSession,
    shop_id: int,
    *,
    status: WebhookEventStatus,
    limit: int = 50,
    before_id: int | None = None,
) -> list[EventSummary]:
    """Newest first; page with `before_id` (the smallest id of the previous page)."""
    query = (
        select(WebhookEvent)
        .where(WebhookEvent.shop_id == shop_id, WebhookEvent.status == status.value)
        .order_by(WebhookEvent.id.desc())
        .limit(max(1, min(limit, LIST_LIMIT_MAX)))
    )
    if before_id is not None:
        query = query.where(WebhookEvent.id < before_id)
    return [
        EventSummary(
            id=e.id,
            topic=e.topic,
            webhook_id=e.webhook_id,
            status=e.status,
            attempts=e.attempts,
            last_error=e.last_error,
            received_at=e.received_at,
            processed_at=e.processed_at,
        )
        for e in (await session.execute(query)).scalars()
    ]


async def reopen_failed_event(
    session: AsyncSession, shop_id: int, event_row_id: int, *, job_id: str
) -> int:
    """Put a failed event back to `received` with a fresh attempt budget, `job_id` (from
    replay_job_id) as the job that will process it; the caller commits, then enqueues that
    job. Raises NotFound (not this shop's, or no such event) or EventNotFailed."""
    reopened = (
        await session.execute(
            update(WebhookEvent)
            .where(
                WebhookEvent.id == event_row_id,
                WebhookEvent.shop_id == shop_id,
                WebhookEvent.status == WebhookEventStatus.FAILED.value,
            )
            .values(
                status=WebhookEventStatus.RECEIVED.value,
                attempts=0,
                job_id=job_id,
                next_attempt_at=None,
            )
            .returning(WebhookEvent.id)
        )
    ).scalar_one_or_none()
    if reopened is not None:
        return reopened
    status = (
        await session.execute(
            select(WebhookEvent.status).where(
                WebhookEvent.id == event_row_id, WebhookEvent.shop_id == shop_id
            )
        )
    ).scalar_one_or_none()
    if status is None:
        raise NotFound(
            Text(
                en=f"Webhook event {event_row_id} does not exist for this shop: "
                "list the failed events to find the one to replay.",
                fr=f"L'événement webhook {event_row_id} n'existe pas pour cette boutique : "
                "affichez les événements en échec pour trouver celui à rejouer.",
            )
        )
    raise EventNotFailed(_not_failed(event_row_id, WebhookEventStatus(status)))


def _not_failed(event_row_id: int, status: WebhookEventStatus) -> Text:
    if status is WebhookEventStatus.PROCESSED:
        return Text(
            en=f"Webhook event {event_row_id} was already processed: there is nothing to replay.",
            fr=f"L'événement webhook {event_row_id} a déjà été traité : il n'y a rien à rejouer.",
        )
    return Text(
        en=f"Webhook event {event_row_id} is still waiting to be processed: only failed events "
        "can be replayed; wait for it to be processed or to fail.",
        fr=f"L'événement webhook {event_row_id} attend encore d'être traité : seuls les "
        "événements en échec peuvent être rejoués ; attendez qu'il soit traité ou qu'il échoue.",
    )
