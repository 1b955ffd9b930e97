"""Whether a gain of points needs the customer's notices job (app/loyalty/notices.py) now, at a
later moment, or not at all, decided from what the ledger write returned, so a paid order does
not run that job to find nothing to say:

- enough points for a reward: now, when the spendable points after the gain cover a reward
  dearer than the last one announced, or when they were below that announced cost before it
  (a crossing back, which the job tells from the ledger's history);
- the points digest: now when none was ever sent or its pace is (about to be) over; otherwise
  at the moment the pace ends, with the id the job gives itself for that moment (one job per
  customer and pace, whatever the number of orders in between);
- a tier reached defers the job itself (app/loyalty/storefront.py, `tier_changed`), and the
  expiry warning comes from the daily pass.

And not at all when the customer's job already waits to run no later than the one called for
(`notices_due_at`, kept on the account under its lock; the callers apply
`app.loyalty.jobs.waiting_job_covers`): that run reads the account after this gain commits.
Without it, a burst of orders, or a backlog the notices wait behind, deferred a job per order
in each 5-second slot while the first had not run (2,718 runs for 3,000 orders of 750
customers in bench/loyalty, 750 of which had something to say). A waiting job whose moment is
long past is taken for lost (Redis lost it) and no longer holds another back."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.loyalty.jobs import notices_job, notices_job_at
from app.loyalty.settings import LoyaltySettings
from app.loyalty.shopper import redeemable
from app.queue.deferred import Job

# A digest due this soon gets the job now: a job at that moment could start before the gain
# commits, and the queue refuses the same job id for a while after it ran.
DIGEST_MARGIN = timedelta(minutes=2)


def notices_after_gain(
    settings: LoyaltySettings,
    *,
    shop_id: int,
    customer_id: int,
    now: datetime,
    spendable_before: int,
    spendable_after: int,
    reward_notified_cost: int,
    last_digest_at: datetime | None,
) -> Job | None:
    """The notices job a gain calls for (None: nothing the job would send); the caller
    defers it unless one that runs no later already waits (`waiting_job_covers`). A
    spendable amount read from a cached pending sum may be under the truth (lots matured
    since): that only calls the job more often."""
    if not settings.enabled:
        return None
    now_job = notices_job(shop_id, customer_id, now)
    if settings.notices.reward_reachable:
        top = max((reward.cost for reward in redeemable(settings, spendable_after)), default=0)
        if top > 0 and (top > reward_notified_cost or spendable_before < reward_notified_cost):
            return now_job
    if not settings.notices.points_digest:
        return None
    if last_digest_at is None:
        return now_job
    due = last_digest_at + timedelta(hours=settings.notices.digest_hours)
    if due - now <= DIGEST_MARGIN:
        return now_job
    return notices_job_at(shop_id, customer_id, due)
