"""The reconciler's job: its name and its ids, beside the domain."""

from __future__ import annotations

from datetime import datetime

from app.queue.deferred import Job

RECONCILE_JOB = "reconcile_shop"


def reconcile_job_id(shop_id: int, now: datetime, every_seconds: int) -> str:
    """One job per shop per period: a cron tick that finds it queued adds nothing."""
    return f"reconcile:{shop_id}:{int(now.timestamp()) // max(1, every_seconds)}"


def reconcile_job(shop_id: int, now: datetime, every_seconds: int) -> Job:
    return Job(RECONCILE_JOB, (shop_id,), reconcile_job_id(shop_id, now, every_seconds))
