"""Admin API over the webhook inbox: list events by status, replay a failed one. The shop is
always the one the verified session token speaks for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.inbox.admin import list_events, reopen_failed_event
from app.inbox.jobs import processing_job, replay_job_id
from app.models import WebhookEventStatus
from app.queue.deferred import defer, send_jobs, take_deferred
from app.web.auth import CurrentShop
from app.web.deps import BeforeIdQuery, ResourcesDep, RowIdPath

router = APIRouter(prefix="/api/webhook-events", tags=["webhook events"])


class WebhookEventOut(BaseModel):
    id: int
    topic: str
    webhook_id: str
    status: str
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None


class WebhookEventList(BaseModel):
    events: list[WebhookEventOut]


class ReplayOut(BaseModel):
    id: int
    status: str
    enqueued: bool


@router.get("")
async def get_webhook_events(
    shop: CurrentShop,
    resources: ResourcesDep,
    status: WebhookEventStatus = WebhookEventStatus.FAILED,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before_id: BeforeIdQuery = None,
) -> WebhookEventList:
    async with resources.sessions.begin() as session:
        found = await list_events(session, shop.id, status=status, limit=limit, before_id=before_id)
    return WebhookEventList(
        events=[WebhookEventOut.model_validate(e, from_attributes=True) for e in found]
    )


@router.post("/{event_id}/replay", status_code=202)
async def replay_webhook_event(
    event_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep
) -> ReplayOut:
    job_id = replay_job_id(event_id)
    async with resources.sessions.begin() as session:
        await reopen_failed_event(session, shop.id, event_id, job_id=job_id)
        defer(session, processing_job(event_id, job_id=job_id, shop=shop.domain))
        jobs = take_deferred(session)
    # After the commit: if the queue is down the sweeper enqueues the reopened event.
    enqueued = await send_jobs(resources.queue, jobs) == 1
    return ReplayOut(id=event_id, status=WebhookEventStatus.RECEIVED.value, enqueued=enqueued)
