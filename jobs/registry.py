"""Every job and cron job the worker runs, by the name the queue knows them by."""

from __future__ import annotations

from app.codes.pools import REFILL_JOB
from app.inbox.jobs import PROCESS_JOB
from app.messaging.consent import WRITE_BACK_JOB
from app.messaging.outbox import SEND_JOB
from app.queue import CronJob, JobFunction
from app.scenarios.scheduling import STEP_JOB
from app.shopify.customer_sync import FLUSH_JOB
from jobs import codes
from jobs.heartbeat import worker_heartbeat
from jobs.messages import enqueue_due_messages, send_message, write_back_email_consent
from jobs.scenarios import run_schedules, scan_due_steps, scenario_step
from jobs.webhook_events import process_webhook_event, sweep_webhook_events

JOBS: dict[str, JobFunction] = {
    PROCESS_JOB: process_webhook_event,
    SEND_JOB: send_message,
    WRITE_BACK_JOB: write_back_email_consent,
    REFILL_JOB: codes.refill_discount_pool,
    codes.RESUME_JOB: codes.resume_stranded_codes,
    codes.VERIFY_JOB: codes.verify_discount_pools,
    FLUSH_JOB: codes.flush_customer_sync,
    STEP_JOB: scenario_step,
}

CRON_JOBS: list[CronJob] = [
    CronJob(
        name="worker_heartbeat", function=worker_heartbeat, every_seconds=10, run_at_startup=True
    ),
    CronJob(
        name="sweep_webhook_events",
        function=sweep_webhook_events,
        every_seconds=5,
        run_at_startup=True,
    ),
    CronJob(name="enqueue_due_messages", function=enqueue_due_messages, every_seconds=30),
    CronJob(name="sweep_stranded_codes", function=codes.sweep_stranded_codes, every_seconds=60),
    CronJob(name="sweep_stale_pools", function=codes.sweep_stale_pools, every_seconds=60),
    CronJob(name="scan_due_steps", function=scan_due_steps, every_seconds=5, run_at_startup=True),
    # Each scheduled scenario walks once per period of its own (see run_schedules).
    CronJob(name="run_schedules", function=run_schedules, every_seconds=60),
]
