"""Which notices job a gain of points calls for (app/loyalty/notice_triggers.py), and what the
account records of the job left waiting once a run is done (app/loyalty/notices.py), on plain
data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.loyalty.jobs import WAITING_LOST_AFTER, notices_job, notices_job_at, waiting_job_covers
from app.loyalty.notice_triggers import notices_after_gain
from app.loyalty.notices import still_waiting
from app.loyalty.settings import LoyaltySettings
from app.queue.deferred import Job

NOW = datetime(2026, 12, 5, 21, 0, 2, tzinfo=UTC)
SETTINGS = LoyaltySettings.model_validate({"enabled": True})


def _gain(*, last_digest_at: datetime | None, notices_due_at: datetime | None) -> Job | None:
    """The job a gain of 40 points defers, as the paid order's earn decides it."""
    job = notices_after_gain(
        SETTINGS,
        shop_id=1,
        customer_id=2,
        now=NOW,
        spendable_before=0,
        spendable_after=40,
        reward_notified_cost=0,
        last_digest_at=last_digest_at,
    )
    if job is None or waiting_job_covers(notices_due_at, job, NOW):
        return None
    return job


def test_a_first_gain_calls_for_the_job_now() -> None:
    assert _gain(last_digest_at=None, notices_due_at=None) == notices_job(1, 2, NOW)


def test_a_job_waiting_to_run_sooner_or_late_in_a_backlog_covers_the_gain() -> None:
    # The job of an earlier order, due in the slot before: it has not run yet (the queue is
    # behind), and it will read this gain once it does.
    assert _gain(last_digest_at=None, notices_due_at=NOW - timedelta(seconds=4)) is None
    assert _gain(last_digest_at=None, notices_due_at=NOW + timedelta(seconds=3)) is None


def test_a_job_waiting_for_a_later_moment_does_not_cover_a_gain_due_now() -> None:
    # A digest waiting for its pace (tomorrow) does not hold back a job called for now.
    assert _gain(last_digest_at=None, notices_due_at=NOW + timedelta(hours=20)) == notices_job(
        1, 2, NOW
    )


def test_a_waiting_job_long_past_its_moment_is_taken_for_lost() -> None:
    lost = NOW - WAITING_LOST_AFTER - timedelta(seconds=1)
    assert _gain(last_digest_at=None, notices_due_at=lost) == notices_job(1, 2, NOW)


def test_within_the_pace_the_gain_calls_for_the_run_at_its_end_unless_it_waits() -> None:
    sent = NOW - timedelta(hours=1)
    due = sent + timedelta(hours=SETTINGS.notices.digest_hours)
    assert _gain(last_digest_at=sent, notices_due_at=None) == notices_job_at(1, 2, due)
    assert _gain(last_digest_at=sent, notices_due_at=due) is None


def test_a_run_records_the_digest_it_waits_for_or_a_sooner_job_still_to_come() -> None:
    tomorrow = NOW + timedelta(hours=23)
    assert still_waiting(NOW - timedelta(seconds=2), None, NOW) is None
    assert still_waiting(NOW, tomorrow, NOW) == tomorrow
    assert still_waiting(None, None, NOW) is None
    soon = NOW + timedelta(seconds=4)
    assert still_waiting(soon, tomorrow, NOW) == soon
    assert still_waiting(tomorrow + timedelta(hours=1), tomorrow, NOW) == tomorrow
