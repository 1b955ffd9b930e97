"""What each process registers at start-up, checked in a fresh interpreter (the test process
itself has imported everything by now, so only a new one can tell)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> str:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_the_web_app_registers_the_scenario_hooks_it_serves() -> None:
    # The click and open routes live in the web process: its clicks must reach the scenarios.
    # A merchant's rejection in the approval queue is told to the scenario there too.
    out = _fresh(
        "import app.main; from app.messaging.guards import hooked_scenarios, outcome_listeners; "
        "print(sorted(hooked_scenarios()), sorted(outcome_listeners()))"
    )
    assert out == "['abandoned_cart'] ['abandoned_cart']"


def test_the_worker_registers_handlers_listeners_and_guards() -> None:
    out = _fresh(
        "import jobs.registry; from app.messaging.guards import hooked_scenarios; "
        "from webhooks.registry import handler_for; "
        "print(sorted(hooked_scenarios()), handler_for('checkouts/update') is not None)"
    )
    assert out == "['abandoned_cart'] True"
