"""The simulator builds its payloads from a bundled copy of Shopify's sample payloads: it must
stay the very files of ../shared/fixtures."""

from __future__ import annotations

import pytest

from tests.support.fixtures import BUNDLED, shared_fixtures_dir


def test_the_bundled_payloads_are_the_shared_fixtures() -> None:
    shared = shared_fixtures_dir()
    if shared is None:
        pytest.skip("../shared/fixtures is not beside this checkout: nothing to compare with")
    shared_files = {p.name: p.read_bytes() for p in shared.glob("*.json")}
    bundled_files = {p.name: p.read_bytes() for p in BUNDLED.glob("*.json")}
    assert shared_files.keys() == bundled_files.keys()
    for name, body in shared_files.items():
        assert bundled_files[name] == body, f"devstore/fixtures/{name} differs from shared/"
