"""Delivery disorder on request, as Shopify may misbehave: duplicates, reordering, delays and
lost deliveries.

Everything is drawn from one `random.Random(seed)` in a fixed order, so the same seed over the
same webhooks makes the same choices: which deliveries are posted twice, how each window of
deliveries is shuffled, which are held back and for how long.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Disorder:
    """How far deliveries stray from a tidy, once-each, in-order stream."""

    seed: int = 0
    # Share of deliveries posted twice with the same X-Shopify-Webhook-Id.
    duplicate_rate: float = 0.0
    # Deliveries are shuffled within consecutive windows of this many (1: kept in order).
    reorder_window: int = 1
    # Share of deliveries held back, each by up to `max_delay` seconds of Shopify time
    # (divided by the simulator's webhook time compression, like retry waits).
    delay_rate: float = 0.0
    max_delay: float = 0.0
    # Share of deliveries never made at all (the change stays visible in the Admin API).
    drop_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("duplicate_rate", "delay_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        if self.reorder_window < 1:
            raise ValueError(f"reorder_window must be at least 1, not {self.reorder_window}")
        if self.max_delay < 0:
            raise ValueError(f"max_delay must not be negative, not {self.max_delay}")

    @classmethod
    def from_json(cls, raw: Any) -> Disorder:
        """From the control API's JSON object (unknown keys and wrong types are refused)."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise ValueError("disorder must be an object")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown disorder settings: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in raw.items():
            integral = name in {"seed", "reorder_window"}
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            if integral and not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number")
            values[name] = value if integral else float(value)
        return cls(**values)

    @property
    def orderly(self) -> bool:
        return (
            self.duplicate_rate == 0
            and self.reorder_window == 1
            and self.delay_rate == 0
            and self.drop_rate == 0
        )


@dataclass(frozen=True)
class Mishap:
    """What happens to one delivery."""

    duplicate: bool = False
    delay: float = 0.0
    drop: bool = False


class Disorderer:
    """Applies a `Disorder`, consuming its random stream in a fixed order."""

    def __init__(self, disorder: Disorder | None = None) -> None:
        self.disorder = disorder or Disorder()
        self._rng = random.Random(self.disorder.seed)  # noqa: S311 - test traffic, not security
        # Drops draw from a stream of their own, so adding them never shifts the other choices.
        self._drops = random.Random(f"drop:{self.disorder.seed}")  # noqa: S311

    @property
    def window(self) -> int:
        return self.disorder.reorder_window

    def shuffle(self, items: list[T]) -> list[T]:
        """One window's items in the order they go out."""
        shuffled = list(items)
        if len(shuffled) > 1:
            self._rng.shuffle(shuffled)
        return shuffled

    def mishap(self) -> Mishap:
        """The next delivery's fate (always three draws, so later choices never shift)."""
        disorder = self.disorder
        duplicate = self._rng.random() < disorder.duplicate_rate
        delayed = self._rng.random() < disorder.delay_rate
        length = self._rng.uniform(0.0, disorder.max_delay)
        dropped = disorder.drop_rate > 0 and self._drops.random() < disorder.drop_rate
        return Mishap(duplicate=duplicate, delay=length if delayed else 0.0, drop=dropped)
