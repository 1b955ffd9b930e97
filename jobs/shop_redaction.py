"""After shop/redact: the shop's data held outside the database (review photo files, the
customer sync hashes in Redis) is deleted by the shop's prefix, and a sweep queues that again
for recent redactions (an enqueue lost between the redaction's commit and the queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select

from app.installs.lifecycle import FORGET_JOB, forget_job
from app.models import Shop
from app.platform.resources import Resources
from app.queue import JobContext
from app.queue.interface import QueueUnavailable
from app.shopify.customer_sync import forget_shop

log = structlog.get_logger(__name__)

SWEEP_EVERY_SECONDS = 3600
# Redactions this recent are forgotten again by the sweep (idempotent: nothing left, nothing done).
SWEEP_WITHIN = timedelta(days=2)


async def forget_redacted_shop(ctx: JobContext, shop_id: int) -> int:
    """How many files and keys were deleted. Nothing when the shop was reinstalled since:
    what it holds now is its new install's. The shop's row is share-locked meanwhile, so a
    reinstall (which locks it to clear redacted_at) waits until this is done."""
    resources: Resources = ctx.resources
    async with resources.sessions.begin() as session:
        redacted = await session.scalar(
            select(Shop.redacted_at).where(Shop.id == shop_id).with_for_update(read=True)
        )
        if redacted is None:
            return 0
        deleted = await forget_shop(resources.redis, shop_id)
        if resources.review_photos is not None:
            deleted += await resources.review_photos.delete_prefix(f"{shop_id}/")
    if deleted:
        log.info("redacted shop's files and sync keys deleted", shop_id=shop_id, count=deleted)
    return deleted


async def sweep_redacted_shops(ctx: JobContext) -> int:
    resources: Resources = ctx.resources
    since = datetime.now(UTC) - SWEEP_WITHIN
    async with resources.sessions.begin() as session:
        shop_ids = list(await session.scalars(select(Shop.id).where(Shop.redacted_at >= since)))
    queued = 0
    for shop_id in shop_ids:
        job = forget_job(shop_id)
        try:
            queued += await resources.queue.enqueue(job.name, *job.args, job_id=job.job_id)
        except QueueUnavailable:
            log.warning("redacted shop sweep stopped: queue unavailable", job=FORGET_JOB)
            break
    return queued
