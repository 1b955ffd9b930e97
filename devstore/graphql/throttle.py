"""The leaky bucket behind the GraphQL Admin API's cost-based rate limit, one per app and store."""

from __future__ import annotations

from typing import Any

from devstore.clock import Clock
from devstore.config import PlanLimits


class LeakyBucket:
    """Points available to spend; refills continuously at `restore_rate` up to `maximum`."""

    def __init__(self, limits: PlanLimits, clock: Clock) -> None:
        self.maximum = limits.maximum_available
        self.restore_rate = limits.restore_rate
        self.clock = clock
        self._available = self.maximum
        self._at = clock.monotonic()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        elapsed = max(0.0, now - self._at)
        self._available = min(self.maximum, self._available + elapsed * self.restore_rate)
        self._at = now

    @property
    def available(self) -> float:
        self._refill()
        return self._available

    def try_take(self, cost: float) -> bool:
        """Spend `cost` points if the bucket holds them; otherwise leave it as it is."""
        self._refill()
        if self._available < cost:
            return False
        self._available -= cost
        return True

    def refund(self, points: float) -> None:
        self._refill()
        self._available = min(self.maximum, self._available + max(0.0, points))

    def status(self) -> dict[str, Any]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available, 1),
            "restoreRate": self.restore_rate,
        }
