"""Shopify's sample webhook payloads from ../shared/fixtures, loaded as they are. Where the
project is checked out without shared/ beside it (a clone elsewhere), the simulator's bundled
copy of the same files serves (tests/devstore checks the two are identical when both exist)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "devstore" / "fixtures"


def shared_fixtures_dir() -> Path | None:
    """../shared/fixtures (or $BOOMERANG_SHARED_DIR/fixtures), when it is there."""
    shared = os.environ.get("BOOMERANG_SHARED_DIR")
    path = Path(shared) / "fixtures" if shared else ROOT.parent / "shared" / "fixtures"
    return path if path.is_dir() else None


@cache
def fixtures_dir() -> Path:
    path = shared_fixtures_dir() or BUNDLED
    if not path.is_dir():
        pytest.fail(
            f"Shopify fixtures not found at {path}: clone the repo beside shared/ "
            "or set BOOMERANG_SHARED_DIR"
        )
    return path


def fixture_bytes(topic: str) -> bytes:
    """The raw body of a delivery of `topic` (e.g. "orders/create")."""
    return (fixtures_dir() / f"{topic.replace('/', '_')}.json").read_bytes()


def fixture_json(topic: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes(topic))
    return data
