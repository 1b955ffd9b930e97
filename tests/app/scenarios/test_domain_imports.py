"""The scenario domain (app/scenarios/) is plain Python over the database: importing all of it
in a fresh interpreter loads no web framework, job queue or HTTP client."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import app.scenarios

REPO = Path(__file__).resolve().parents[3]
EDGES = ("fastapi", "starlette", "arq", "httpx", "aiosmtplib", "uvicorn")


def test_the_scenario_domain_imports_no_framework() -> None:
    modules = sorted(
        info.name for info in pkgutil.walk_packages(app.scenarios.__path__, "app.scenarios.")
    )
    assert "app.scenarios.engine" in modules
    assert "app.scenarios.abandoned_cart.rule" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {EDGES!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(out) == []


def test_the_live_actions_adapter_lives_at_the_edge() -> None:
    assert not (REPO / "app" / "scenarios" / "live_actions.py").exists()
    assert (REPO / "jobs" / "live_actions.py").exists()
