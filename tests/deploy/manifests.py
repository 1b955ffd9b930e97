"""Reading the deployment files the way their engines do, for the offline checks."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from app.cli import build_parser
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = DEPLOY / "schemas"
COMPOSE = ROOT / "compose.yaml"

# Settings without a default, plus the two URLs that are optional only because the CLI can
# start embedded servers, which a deployment must not rely on.
DEPLOYMENT_ONLY = {"DATABASE_URL", "REDIS_URL"}


def required_settings() -> set[str]:
    names = {name.upper() for name, field in Settings.model_fields.items() if field.is_required()}
    return names | DEPLOYMENT_ONLY


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def env_file_keys(path: Path) -> set[str]:
    """KEY=value lines, as Compose reads an env_file (comments and blanks skipped)."""
    keys = set()
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys.add(line.split("=", 1)[0].strip())
    return keys


def parse_boomerang(command: list[str]) -> argparse.Namespace:
    """The command as `boomerang` would parse it; SystemExit if it would refuse it."""
    assert command[0] == "boomerang", command
    return build_parser().parse_args(command[1:])
