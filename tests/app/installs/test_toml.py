"""shopify.app.toml declares what the install registers, and the compliance topics."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.installs.webhook_subscriptions import APP_WEBHOOK_TOPICS

TOML = Path(__file__).resolve().parents[3] / "shopify.app.toml"


def test_toml_subscriptions_match_the_api_fallback_and_include_compliance() -> None:
    config = tomllib.loads(TOML.read_text())
    subscriptions = config["webhooks"]["subscriptions"]
    topics = [t for s in subscriptions for t in s.get("topics", [])]
    compliance = [t for s in subscriptions for t in s.get("compliance_topics", [])]
    assert tuple(topics) == APP_WEBHOOK_TOPICS
    assert set(compliance) == {"customers/data_request", "customers/redact", "shop/redact"}
    assert config["embedded"] is True
    assert config["webhooks"]["api_version"] == "2026-10"
