"""Tests that must not overlap when the suite runs on several processes (pytest-xdist with
`--dist loadgroup`, as ./scripts/test runs it): those in one group run one after another on
one process, while the other processes take the rest of the suite."""

from __future__ import annotations

import pytest

# Each starts the whole product as real processes (the app, the worker, an embedded PostgreSQL
# or Redis of its own) and runs for minutes on real time: two at once would compete for the
# machine's 2 cores and flake their timings (the chaos run's settle, the demo's 180 s budget).
WHOLE_PRODUCT = pytest.mark.xdist_group("whole_product")
