"""The loyalty program's jobs, by name, and the ids that make them idempotent. The worker's
functions live in jobs/loyalty.py; what a job announces is always in the tables already, so a
job lost with Redis only delays Shopify's copy until the account's next change (or the
hourly tier pass)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.queue.deferred import Job

# Write a customer's points and tier (and, after a tier move, their vip tags) to Shopify
# through the batched customer sync.
SYNC_JOB = "sync_loyalty_customer"


def sync_job(
    shop_id: int, customer_id: int, *, change: str, tier_before: str | None, tier_moved: bool
) -> Job:
    """`change` names what moved the account (a ledger entry, a tier move at a moment), so two
    different changes are two jobs and the same change announced twice is one."""
    return Job(
        SYNC_JOB,
        (shop_id, customer_id, tier_before, tier_moved),
        f"{SYNC_JOB}:{shop_id}:{customer_id}:{change}",
    )


def entry_change(entry_id: int) -> str:
    return f"entry-{entry_id}"


def tier_change(moment: datetime) -> str:
    return f"tier-{int(moment.timestamp() * 1_000_000)}"


# Create a redemption's code at Shopify and settle it (app/loyalty/redeeming.py).
COMPLETE_JOB = "complete_loyalty_redemption"


def complete_job(shop_id: int, redemption_id: int) -> Job:
    return Job(COMPLETE_JOB, (shop_id, redemption_id), f"{COMPLETE_JOB}:{shop_id}:{redemption_id}")


# Give a customer who reached a tier its perk: a single-use code (app/loyalty/perks.py).
PERK_JOB = "issue_loyalty_tier_perk"


def perk_job(shop_id: int, customer_id: int, tier_key: str) -> Job:
    return Job(
        PERK_JOB,
        (shop_id, customer_id, tier_key),
        f"{PERK_JOB}:{shop_id}:{customer_id}:{tier_key}",
    )


# Queue the customer's loyalty emails that are due (app/loyalty/notices.py): deferred by every
# ledger movement, coalesced per customer over NOTICES_COALESCE_SECONDS (a burst of movements
# is one run), and re-deferred by the run itself to when a waiting digest is due. A few seconds
# gather what one delivery or one job moves (the digest's own pacing is `digest_hours`); a
# minute made every shopper's notice, and every burst of work waiting on it, late by up to 60 s.
NOTICES_JOB = "loyalty_notices"
NOTICES_COALESCE_SECONDS = 5


def notices_job(shop_id: int, customer_id: int, now: datetime) -> Job:
    slot = int(now.timestamp()) // NOTICES_COALESCE_SECONDS
    at = datetime.fromtimestamp((slot + 1) * NOTICES_COALESCE_SECONDS, tz=now.tzinfo)
    return Job(
        NOTICES_JOB,
        (shop_id, customer_id),
        f"{NOTICES_JOB}:{shop_id}:{customer_id}:{slot}",
        defer_until=at,
    )


def notices_job_at(shop_id: int, customer_id: int, at: datetime) -> Job:
    return Job(
        NOTICES_JOB,
        (shop_id, customer_id),
        f"{NOTICES_JOB}:{shop_id}:{customer_id}:at-{int(at.timestamp())}",
        defer_until=at,
    )


# A waiting notices job this late is taken for lost (Redis lost it): a new one is deferred.
WAITING_LOST_AFTER = timedelta(minutes=10)


def waiting_job_covers(notices_due_at: datetime | None, job: Job, now: datetime) -> bool:
    """Whether the customer's notices job already waiting (due at `notices_due_at`, kept on
    the account) runs no later than `job` would, and is not lost: then `job` is not needed
    (app/loyalty/notice_triggers.py)."""
    if notices_due_at is None or notices_due_at < now - WAITING_LOST_AFTER:
        return False
    return job.defer_until is not None and notices_due_at <= job.defer_until
