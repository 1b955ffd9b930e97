"""The worker's cron marks: a job ticks at the period it declares, an hour included (an hourly
job used to run every minute)."""

from __future__ import annotations

from typing import Any

import pytest

from app.queue.arq_backend import _cron_marks
from app.queue.interface import CronJob
from jobs.registry import CRON_JOBS


async def _noop(ctx: dict[str, Any]) -> None:
    return None


def _ticks_per_day(every: int) -> int:
    hour, minute, second = _cron_marks(CronJob(name="job", function=_noop, every_seconds=every))
    return len(hour or range(24)) * len(minute or range(60)) * len(second)


@pytest.mark.parametrize("every", [1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400])
def test_a_job_ticks_once_per_period(every: int) -> None:
    assert _ticks_per_day(every) == 86400 // every


def test_a_period_the_worker_cannot_tick_on_is_refused() -> None:
    with pytest.raises(ValueError, match="every 7 s"):
        _ticks_per_day(7)


def test_every_registered_cron_job_has_a_period_the_worker_can_tick_on() -> None:
    for job in CRON_JOBS:
        assert _ticks_per_day(job.every_seconds) == 86400 // job.every_seconds, job.name
