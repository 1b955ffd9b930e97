"""shopify.app.toml and every extension's shopify.extension.toml validate against the schema
Shopify documents for them (tests/app/installs/schemas/, each citing its shopify.dev page),
and the theme app extension has the layout, block schemas and storefront strings (English and
French) that Shopify CLI deploys."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
EXTENSIONS = sorted((ROOT / "extensions").glob("*/shopify.extension.toml"))
THEME = ROOT / "extensions" / "loyalty-widget"
# What a theme app extension may hold (configuration: "File structure").
THEME_DIRECTORIES = {"assets", "blocks", "snippets", "locales"}
SCHEMA_TAG = re.compile(r"{%-?\s*schema\s*-?%}(.*?){%-?\s*endschema\s*-?%}", re.DOTALL)
TRANSLATED = re.compile(r"""['"]([a-z0-9_.]+)['"]\s*\|\s*t\b""")


def _schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return loaded


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def _problems(document: dict[str, Any], schema: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(_schema(schema))
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]


def _schema_for(document: dict[str, Any]) -> str:
    if document.get("type") == "theme":
        return "theme.extension.schema.json"
    return "ui.extension.schema.json"


def test_shopify_app_toml_follows_the_documented_schema() -> None:
    assert _problems(_toml(ROOT / "shopify.app.toml"), "shopify.app.schema.json") == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: c["app_proxy"].update(prefix="shop"), "app_proxy/prefix"),
        (lambda c: c["app_proxy"].pop("subpath"), "app_proxy"),
        (lambda c: c["webhooks"].update(api_version="2026-11"), "webhooks/api_version"),
        (lambda c: c.update(embeded=True), ""),
    ],
)
def test_the_app_schema_refuses_what_shopify_refuses(change: Any, path: str) -> None:
    config = copy.deepcopy(_toml(ROOT / "shopify.app.toml"))
    change(config)
    problems = _problems(config, "shopify.app.schema.json")
    assert any(problem.startswith(f"{path}:") for problem in problems), problems


def test_the_app_proxy_has_its_scope() -> None:
    """Configuring an app proxy requires the write_app_proxy access scope
    (docs/apps/build/online-store/app-proxies)."""
    config = _toml(ROOT / "shopify.app.toml")
    assert "app_proxy" in config
    assert "write_app_proxy" in config["access_scopes"]["scopes"].split(",")


def test_there_are_extensions_and_each_toml_follows_its_documented_schema() -> None:
    assert {path.parent.name for path in EXTENSIONS} >= {"loyalty-widget", "loyalty-account"}
    for path in EXTENSIONS:
        document = _toml(path)
        assert _problems(document, _schema_for(document)) == [], path


def test_an_extension_schema_refuses_a_wrong_type() -> None:
    document = {**_toml(THEME / "shopify.extension.toml"), "type": "theme_app_extension"}
    assert _problems(document, "theme.extension.schema.json")


def _blocks() -> dict[str, dict[str, Any]]:
    blocks: dict[str, dict[str, Any]] = {}
    for path in sorted((THEME / "blocks").glob("*.liquid")):
        found = SCHEMA_TAG.search(path.read_text())
        assert found, f"{path.name} has no {{% schema %}}"
        blocks[path.name] = json.loads(found.group(1))
    return blocks


def test_the_theme_extension_holds_an_app_embed_and_an_app_block() -> None:
    assert {p.name for p in THEME.iterdir() if p.is_dir()} <= THEME_DIRECTORIES
    blocks = _blocks()
    # target body: an app embed (the launcher); section: an app block (the rewards page).
    assert sorted(b["target"] for b in blocks.values()) == ["body", "section"]
    built = (ROOT / "frontend" / "vite.widget.config.ts").read_text()
    for name, schema in blocks.items():
        ids = [s["id"] for s in schema["settings"] if "id" in s]
        assert len(ids) == len(set(ids)), name
        assert (THEME / "assets" / schema["stylesheet"]).is_file()
        # The script is the widget build's output (scripts/build-frontend), not a source.
        script = schema["javascript"]
        assert f'"{script}"' in built or (THEME / "assets" / script).is_file()
        for setting in schema["settings"]:
            if setting["type"] == "color":
                assert re.fullmatch(r"#[0-9a-f]{6}", setting["default"]), (name, setting["id"])


def _keys(catalog: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in catalog.items():
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def _locale(name: str) -> set[str]:
    return _keys(json.loads((THEME / "locales" / name).read_text()))


def test_every_storefront_string_is_in_english_and_french() -> None:
    english, french = _locale("en.default.json"), _locale("fr.json")
    assert english == french
    liquid = [*THEME.glob("blocks/*.liquid"), *THEME.glob("snippets/*.liquid")]
    used = {key for path in liquid for key in TRANSLATED.findall(path.read_text())}
    assert used, "no string goes through the t filter"
    assert used <= english, used - english


def test_every_theme_editor_label_is_in_english_and_french() -> None:
    english, french = _locale("en.default.schema.json"), _locale("fr.schema.json")
    assert english == french
    text = json.dumps(list(_blocks().values()))
    used = set(re.findall(r'"t:([a-z0-9_.]+)"', text))
    assert used <= english, used - english


ACCOUNT = ROOT / "extensions" / "loyalty-account"


def test_the_rewards_page_is_a_full_page_that_reaches_the_app() -> None:
    document = _toml(ACCOUNT / "shopify.extension.toml")
    [extension] = document["extensions"]
    [targeting] = extension["targeting"]
    # A full-page extension: its target alone in its extension (targets/full-page).
    assert targeting["target"] == "customer-account.page.render"
    assert (ACCOUNT / targeting["module"]).is_file()
    assert extension["capabilities"]["network_access"] is True
    # It calls the app where shopify.app.toml says the app is.
    app_url = _toml(ROOT / "shopify.app.toml")["application_url"].rstrip("/")
    assert f'"{app_url}"' in (ACCOUNT / "src" / "config.js").read_text()
    english = json.loads((ACCOUNT / "locales" / "en.default.json").read_text())
    french = json.loads((ACCOUNT / "locales" / "fr.json").read_text())
    assert english.keys() == french.keys()
    page = (ACCOUNT / "src" / "RewardsPage.jsx").read_text()
    used = set(re.findall(r't\("([A-Za-z]+)"', page))
    assert used <= english.keys(), used - english.keys()
    # Spend-based tiers say an amount, not points (as the storefront widget does), and the
    # referral link's button says it copies a link, not a code.
    assert {"toNextTierSpend", "copyLink"} <= used
    assert '"amount_spent"' in page
    assert '"referral-link">{t("copyLink")}' in page
