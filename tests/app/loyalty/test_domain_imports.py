"""The loyalty program (app/loyalty/) is domain code: importing all of it in a fresh
interpreter loads no web framework, job queue or HTTP client."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import app.loyalty

REPO = Path(__file__).resolve().parents[3]
EDGES = ("fastapi", "starlette", "arq", "httpx", "aiosmtplib", "uvicorn")


def test_the_loyalty_domain_imports_no_framework() -> None:
    modules = sorted(
        f"app.loyalty.{info.name}" for info in pkgutil.iter_modules(app.loyalty.__path__)
    )
    assert {"app.loyalty.ledger", "app.loyalty.service", "app.loyalty.listeners"} <= set(modules)
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
