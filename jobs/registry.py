"""Every job and cron job the worker runs, by the name the queue knows them by."""

from __future__ import annotations

from dataclasses import replace

from app.codes.pools import REFILL_JOB
from app.inbox.jobs import PROCESS_JOB
from app.installs.lifecycle import FORGET_JOB as SHOP_FORGET_JOB
from app.kpis.jobs import REBUILD_JOB as KPI_REBUILD_JOB
from app.kpis.jobs import ROLLUP_EVERY_SECONDS
from app.loyalty.jobs import COMPLETE_JOB as LOYALTY_COMPLETE_JOB
from app.loyalty.jobs import NOTICES_JOB as LOYALTY_NOTICES_JOB
from app.loyalty.jobs import PERK_JOB as LOYALTY_PERK_JOB
from app.loyalty.jobs import SYNC_JOB as LOYALTY_SYNC_JOB
from app.loyalty.storefront_program import PROGRAM_JOB as LOYALTY_PROGRAM_JOB
from app.messaging.consent import WRITE_BACK_JOB
from app.messaging.outbox import SEND_JOB
from app.queue import CronJob, JobFunction
from app.reconcile.jobs import RECONCILE_JOB
from app.referrals.jobs import DUE_CRON as REFERRALS_DUE_CRON
from app.referrals.jobs import ISSUE_JOB as REFERRAL_ISSUE_JOB
from app.referrals.jobs import REWARD_JOB as REFERRAL_REWARD_JOB
from app.reviews.aggregates import SYNC_JOB as REVIEWS_SYNC_JOB
from app.reviews.compliance import DELETE_PHOTOS_JOB
from app.reviews.rewards import ISSUE_CODE_JOB
from app.reviews.syndication import SYNC_JOB as REVIEW_METAOBJECT_JOB
from app.scenarios.scheduling import STEP_JOB
from app.settings import Settings
from app.shopify.customer_sync import FLUSH_JOB
from jobs import codes, reconcile, reviews
from jobs.heartbeat import worker_heartbeat
from jobs.kpis import rebuild_shop_kpis, roll_up_kpis
from jobs.loyalty import (
    apply_loyalty_time_rules,
    complete_loyalty_redemption,
    issue_loyalty_tier_perk,
    loyalty_notices,
    reevaluate_loyalty_tiers,
    sweep_loyalty_redemptions,
    sync_loyalty_customer,
    sync_storefront_program,
)
from jobs.messages import enqueue_due_messages, send_message, write_back_email_consent
from jobs.referrals import (
    issue_referral_code,
    qualify_due_referrals,
    reward_referral_with_code,
)
from jobs.retention import PURGE_EVERY_SECONDS, purge_old_webhook_bodies
from jobs.scenarios import run_schedules, scan_due_steps, scenario_step
from jobs.shop_redaction import SWEEP_EVERY_SECONDS as SHOP_SWEEP_EVERY_SECONDS
from jobs.shop_redaction import forget_redacted_shop, sweep_redacted_shops
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
    RECONCILE_JOB: reconcile.reconcile_shop,
    LOYALTY_SYNC_JOB: sync_loyalty_customer,
    LOYALTY_PROGRAM_JOB: sync_storefront_program,
    LOYALTY_COMPLETE_JOB: complete_loyalty_redemption,
    LOYALTY_PERK_JOB: issue_loyalty_tier_perk,
    LOYALTY_NOTICES_JOB: loyalty_notices,
    REFERRAL_ISSUE_JOB: issue_referral_code,
    REFERRAL_REWARD_JOB: reward_referral_with_code,
    REVIEWS_SYNC_JOB: reviews.sync_product_rating,
    ISSUE_CODE_JOB: reviews.issue_review_code,
    DELETE_PHOTOS_JOB: reviews.delete_review_photos,
    REVIEW_METAOBJECT_JOB: reviews.sync_review_metaobject,
    SHOP_FORGET_JOB: forget_redacted_shop,
    KPI_REBUILD_JOB: rebuild_shop_kpis,
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
    # Missed webhooks: each shop is read back once per RECONCILE_EVERY_SECONDS.
    CronJob(name="schedule_reconciles", function=reconcile.schedule_reconciles, every_seconds=60),
    CronJob(
        name="purge_old_webhook_bodies",
        function=purge_old_webhook_bodies,
        every_seconds=PURGE_EVERY_SECONDS,
    ),
    CronJob(name="sweep_loyalty_redemptions", function=sweep_loyalty_redemptions, every_seconds=60),
    # Walks once per hour (jobs.loyalty.TIERS_EVERY_SECONDS), claimed in Redis.
    CronJob(name="reevaluate_loyalty_tiers", function=reevaluate_loyalty_tiers, every_seconds=60),
    # Expiry (and its warnings) and birthday points: once per hour
    # (jobs.loyalty.DAILY_RULES_EVERY_SECONDS), claimed in Redis.
    CronJob(name="apply_loyalty_time_rules", function=apply_loyalty_time_rules, every_seconds=60),
    # Referrals whose hold period is over are qualified and rewarded.
    CronJob(name=REFERRALS_DUE_CRON, function=qualify_due_referrals, every_seconds=60),
    # The KPI roll-up: the days marked by the raw tables' triggers (app/kpis/rollup.py).
    CronJob(name="roll_up_kpis", function=roll_up_kpis, every_seconds=ROLLUP_EVERY_SECONDS),
    # Redacted shops' photo files and Redis keys, again (a forget job lost before its queue).
    CronJob(
        name="sweep_redacted_shops",
        function=sweep_redacted_shops,
        every_seconds=SHOP_SWEEP_EVERY_SECONDS,
    ),
]


# The crons that walk a schedule (the demo shortens them with the schedule period).
_SCHEDULES = frozenset({"run_schedules", REFERRALS_DUE_CRON})


def cron_jobs(settings: Settings) -> list[CronJob]:
    """The cron jobs for these settings: a schedule period shortened below a minute (the
    demo's) makes the schedules' cron tick that often too, so a walk is never a minute away."""
    period = settings.schedule_period_seconds
    if period is None or period >= 60:
        return CRON_JOBS
    # The longest whole-second tick that divides a minute and is no longer than the period.
    tick = max(s for s in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if s <= period)
    return [
        replace(job, every_seconds=tick) if job.name in _SCHEDULES else job for job in CRON_JOBS
    ]
