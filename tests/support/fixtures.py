"""Shopify's sample webhook payloads from ../shared/fixtures, loaded as they are."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest


@cache
def fixtures_dir() -> Path:
    shared = os.environ.get("BOOMERANG_SHARED_DIR")
    path = (
        Path(shared) / "fixtures"
        if shared
        else Path(__file__).resolve().parents[3] / "shared" / "fixtures"
    )
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
