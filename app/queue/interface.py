"""What the rest of Boomerang knows of a job queue: enqueue by name with a deterministic id,
defer, and ask for a retry. Nothing here imports arq."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True)
class JobContext:
    """Handed to every job: which job this is, which try, and the process's resources."""

    job_id: str
    attempt: int
    resources: Any = field(repr=False)


JobFunction = Callable[..., Awaitable[Any]]


class RetryJob(Exception):
    """Raised by a job to be run again after `defer` seconds (the queue counts the tries)."""

    def __init__(self, defer: float) -> None:
        super().__init__(f"retry in {defer:.1f}s")
        self.defer = defer

    @classmethod
    def backoff(cls, attempt: int) -> RetryJob:
        """Run again later, the wait doubling with each try: 10 s, 20 s, … up to 5 minutes."""
        return cls(defer=min(300.0, 5.0 * 2 ** min(attempt, 6)))


@dataclass(frozen=True)
class CronJob:
    """A job the worker runs on its own every `every_seconds` (at whole-second marks)."""

    name: str
    function: JobFunction
    every_seconds: int
    run_at_startup: bool = False


class JobStatus(enum.Enum):
    # Waiting in the queue, due now or deferred (a scheduled retry).
    QUEUED = "queued"
    # Taken by a worker; `running_for` says since when (a worker killed mid-job leaves its
    # job looking like this until the queue gives up on it).
    RUNNING = "running"
    # Neither: never enqueued, finished, or lost (Redis flushed or restarted empty).
    MISSING = "missing"


@dataclass(frozen=True)
class JobState:
    status: JobStatus
    running_for: float | None = None


class JobQueue(Protocol):
    async def enqueue(
        self,
        name: str,
        *args: Any,
        job_id: str,
        defer_by: timedelta | None = None,
        defer_until: datetime | None = None,
        shop: str | None = None,
    ) -> bool:
        """Queue `name(*args)`. False when a job with this id is already queued or running
        (so a replay enqueues nothing). Raises QueueUnavailable when the broker is down.
        `shop` (its domain) schedules the job fairly among the shops' jobs: a shop's backlog
        never holds back another shop's jobs; a shop's own jobs start in the order enqueued."""
        ...

    async def job_states(self, job_ids: Sequence[str]) -> dict[str, JobState]:
        """Whether each job still lives: queued (deferred included), running, or missing.
        Raises QueueUnavailable when the broker is down."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class QueueUnavailable(Exception):
    """The broker could not be reached; the caller keeps its durable record and moves on."""
