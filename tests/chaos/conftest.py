"""The chaos test's marker: `pytest -m chaos` selects it; the default test command runs it."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos: the fault-injection run against real processes (tests/chaos)"
    )
