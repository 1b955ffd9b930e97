"""Clocks: the real one and a manual one tests can advance, both monotonic plus wall time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...


class SystemClock:
    """Real time."""

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Time that only moves when told to; wall time moves with it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
        self._elapsed = 0.0

    def advance(self, seconds: float) -> None:
        self._elapsed += seconds

    def monotonic(self) -> float:
        return 1000.0 + self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)


def iso(moment: datetime) -> str:
    """Shopify's ISO 8601 rendering of a timestamp (seconds precision, explicit offset)."""
    text = moment.replace(microsecond=0).isoformat()
    return text.replace("+00:00", "Z") if moment.utcoffset() == timedelta(0) else text
