"""Retention cron job: raw webhook bodies dropped WEBHOOK_BODY_RETENTION_DAYS after receipt."""

from __future__ import annotations

from datetime import timedelta

import structlog

from app.platform.resources import Resources
from app.queue import JobContext
from webhooks.retention import purge_webhook_bodies

PURGE_EVERY_SECONDS = 3600


async def purge_old_webhook_bodies(ctx: JobContext) -> int:
    resources: Resources = ctx.resources
    days = resources.settings.webhook_body_retention_days
    purged = await purge_webhook_bodies(resources.sessions, older_than=timedelta(days=days))
    if purged:
        structlog.get_logger().info("webhook bodies purged", count=purged, retention_days=days)
    return purged
