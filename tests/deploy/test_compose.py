"""compose.yaml, validated offline: against the Compose specification's JSON schema (vendored,
deploy/schemas/), then for what the schema cannot know: each role gets every setting the app
requires, starts after the migrate step, runs a command `boomerang` accepts, and its health
check asks a route that answers."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx
import jsonschema
import pytest

from tests.deploy.manifests import (
    COMPOSE,
    DEPLOY,
    ROOT,
    SCHEMAS,
    env_file_keys,
    load_documents,
    parse_boomerang,
    required_settings,
)

ROLES = ("migrate", "web", "worker")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    [document] = load_documents(COMPOSE)
    return document


def spec_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert spec_errors(compose) == []


def test_the_schema_check_catches_a_misspelt_key(compose: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["restart_policy"] = "always"  # a deploy: key, not a service one
    assert spec_errors(broken)


def test_every_role_gets_every_required_setting(compose: dict[str, Any]) -> None:
    for role in ROLES:
        service = compose["services"][role]
        provided = set(service.get("environment", {}))
        for entry in service["env_file"]:
            path = ROOT / entry["path"]
            assert path.parent == DEPLOY
            # The operator's copy is git-ignored; the committed template lists its keys.
            provided |= env_file_keys(path.with_name(path.name + ".example"))
        missing = required_settings() - provided
        assert not missing, f"{role} lacks {sorted(missing)}"


def test_web_and_worker_start_after_a_successful_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert parse_boomerang(services["migrate"]["command"]).command == "migrate"
    assert services["migrate"]["restart"] == "no"
    for role in ("web", "worker"):
        depends = services[role]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert services[role]["restart"] == "unless-stopped"
    assert parse_boomerang(services["web"]["command"]).command == "serve"
    assert parse_boomerang(services["worker"]["command"]).command == "worker"
    for engine in ("postgres", "redis", "proxy"):
        assert services[engine]["restart"] == "unless-stopped"
        assert services[engine]["healthcheck"]["test"]


def test_worker_liveness_is_the_images_healthcheck(compose: dict[str, Any]) -> None:
    test = compose["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    args = parse_boomerang(test[1:])
    assert (args.command, args.role) == ("healthcheck", "worker")


async def test_web_health_check_asks_readiness_and_it_answers(
    compose: dict[str, Any], client: httpx.AsyncClient
) -> None:
    test = compose["services"]["web"]["healthcheck"]["test"]
    urls = [m for part in test for m in re.findall(r"http://127\.0\.0\.1:(\d+)(/\S*?)'", part)]
    assert urls == [("8000", "/readyz")]
    serve = parse_boomerang(compose["services"]["web"]["command"])
    assert serve.port == 8000
    assert (await client.get("/readyz")).status_code == 200


def test_the_proxy_serves_the_repositorys_nginx_conf_in_front_of_the_web(
    compose: dict[str, Any],
) -> None:
    proxy = compose["services"]["proxy"]
    mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in proxy["volumes"]}
    assert mounts["./deploy/nginx.conf"].startswith("/etc/nginx/conf.d/")
    conf = (DEPLOY / "nginx.conf").read_text()
    [upstream] = re.findall(r"upstream boomerang_web \{\s*server ([\w.-]+):(\d+);", conf)
    assert upstream[0] in compose["services"]
    assert upstream[1] in compose["services"][upstream[0]]["expose"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    # Only the proxy is reachable from outside.
    published = [name for name, svc in compose["services"].items() if svc.get("ports")]
    assert published == ["proxy"]


SECRETS = {"SHOPIFY_API_SECRET", "TOKEN_ENCRYPTION_KEYS", "DATABASE_URL", "SMTP_URL"}


def test_secrets_are_never_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert not SECRETS & set(service.get("environment", {})), name
    postgres = compose["services"]["postgres"]
    assert "POSTGRES_PASSWORD" not in postgres["environment"]
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert compose["secrets"]["postgres_password"]["file"].startswith("./deploy/secrets/")
