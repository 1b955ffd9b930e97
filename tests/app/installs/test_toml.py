"""shopify.app.toml declares what the install registers, and the compliance topics."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.installs.webhook_subscriptions import APP_WEBHOOK_TOPICS
from app.loyalty.store_credit import SCOPES as STORE_CREDIT_SCOPES
from app.reviews.syndication import SCOPES as SYNDICATION_SCOPES
from app.settings import Settings
from devstore.config import SimulatorConfig

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


def _scopes(raw: str) -> set[str]:
    return {s.strip() for s in raw.split(",") if s.strip()}


def test_toml_scopes_are_the_scopes_the_app_requests() -> None:
    """Managed installation grants the toml's scopes, the code grant asks for the setting's:
    the two must be one list, or a managed install looks like a pending scope change forever."""
    config = tomllib.loads(TOML.read_text())
    declared = _scopes(config["access_scopes"]["scopes"])
    default = Settings.model_fields["shopify_scopes"].default
    assert declared == _scopes(default)
    # shopLocales (the shop's primary locale at install) needs read_locales.
    assert {"read_checkouts", "read_locales"} <= declared
    # The simulator knows every scope the app asks for (it refuses unknown ones).
    assert declared <= SimulatorConfig().scopes


def test_toml_optional_scopes_are_what_store_credit_and_syndication_ask_for() -> None:
    """The scopes the admin requests when the merchant turns store credit or review
    syndication on are the toml's optional ones, which the simulator knows as optional too."""
    config = tomllib.loads(TOML.read_text())
    optional = set(config["access_scopes"]["optional_scopes"])
    assert optional == set(STORE_CREDIT_SCOPES) | set(SYNDICATION_SCOPES)
    assert optional == set(SimulatorConfig().optional_scopes)
    assert not optional & _scopes(config["access_scopes"]["scopes"])
