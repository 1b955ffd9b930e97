"""Screenshots the browser tests keep as artifacts: one per page they visit, per language,
under $BOOMERANG_TEST_ARTIFACTS (default: test-artifacts/ at the project's root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path:
    base = Path(os.environ.get("BOOMERANG_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    folder = base / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def keep_screenshot(page: Page, test: str, locale: str, name: str) -> Path:
    """The whole admin page as the merchant sees it now, as `<test>/<locale>-<name>.png`."""
    folder = artifacts_dir() / re.sub(r"[^a-z0-9_-]+", "-", test.lower())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{locale}-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
