"""An in-memory JobQueue twin, for tests of code that only enqueues."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.queue.interface import JobState, JobStatus, QueueUnavailable


@dataclass(frozen=True)
class QueuedJob:
    name: str
    args: tuple[Any, ...]
    job_id: str
    defer_by: timedelta | None
    defer_until: datetime | None
    shop: str | None = None


class MemoryQueue:
    def __init__(self) -> None:
        self.jobs: dict[str, QueuedJob] = {}
        self.available = True

    async def enqueue(
        self,
        name: str,
        *args: Any,
        job_id: str,
        defer_by: timedelta | None = None,
        defer_until: datetime | None = None,
        shop: str | None = None,
    ) -> bool:
        if not self.available:
            raise QueueUnavailable("memory queue switched off")
        if job_id in self.jobs:
            return False
        self.jobs[job_id] = QueuedJob(name, args, job_id, defer_by, defer_until, shop)
        return True

    async def job_states(self, job_ids: Sequence[str]) -> dict[str, JobState]:
        if not self.available:
            raise QueueUnavailable("memory queue switched off")
        return {
            job_id: JobState(JobStatus.QUEUED if job_id in self.jobs else JobStatus.MISSING)
            for job_id in job_ids
        }

    async def ping(self) -> bool:
        return self.available

    async def close(self) -> None:
        self.jobs.clear()
