"""The referral program's jobs, by name, with the ids that make them idempotent. The worker's
functions live in jobs/referrals.py."""

from __future__ import annotations

from app.queue.deferred import Job

# Create a customer's personal code at Shopify and send it to them (app/referrals/issuing.py).
ISSUE_JOB = "issue_referral_code"
# Create an advocate's single-use reward code at Shopify and tell them (app/referrals/rewards.py).
REWARD_JOB = "reward_referral_with_code"
# Cron: referrals whose hold period is over are qualified and rewarded.
DUE_CRON = "qualify_due_referrals"


def issue_job(shop_id: int, customer_id: int, because: str) -> Job:
    return Job(ISSUE_JOB, (shop_id, customer_id, because), f"{ISSUE_JOB}:{shop_id}:{customer_id}")


def reward_job(shop_id: int, referral_id: int) -> Job:
    return Job(REWARD_JOB, (shop_id, referral_id), f"{REWARD_JOB}:{shop_id}:{referral_id}")
