"""`boomerang demo`: the whole product on this machine (web + worker on embedded services)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import structlog

from app.settings import Settings

log = structlog.get_logger(__name__)

_DEMO_SECRETS = Path(".boomerang") / "demo-secrets.json"


def demo_settings_overrides() -> dict[str, object]:
    """Secrets for the demo app, made once and kept under .boomerang/ so restarts agree.
    Anything set in the environment wins."""
    _DEMO_SECRETS.parent.mkdir(parents=True, exist_ok=True)
    if _DEMO_SECRETS.exists():
        stored = json.loads(_DEMO_SECRETS.read_text())
    else:
        stored = {
            "shopify_api_key": "demo-" + secrets.token_hex(8),
            "shopify_api_secret": secrets.token_urlsafe(32),
            "token_encryption_keys": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        _DEMO_SECRETS.write_text(json.dumps(stored))
        _DEMO_SECRETS.chmod(0o600)
    return {key: value for key, value in stored.items() if key.upper() not in os.environ}


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready within {timeout:.0f}s")


def run_demo(settings: Settings, *, once: bool, port: int) -> None:
    env = dict(os.environ)
    env.update(
        SHOPIFY_API_KEY=settings.shopify_api_key,
        SHOPIFY_API_SECRET=settings.shopify_api_secret.get_secret_value(),
        TOKEN_ENCRYPTION_KEYS=settings.token_encryption_keys.get_secret_value(),
        APP_URL=f"http://127.0.0.1:{port}",
    )
    cli = [sys.executable, "-m", "app.cli"]
    web = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env)  # noqa: S603
    worker = subprocess.Popen([*cli, "worker"], env=env)  # noqa: S603
    try:
        _wait_ready(f"http://127.0.0.1:{port}/readyz")
        print(f"Boomerang is running: http://127.0.0.1:{port}/  (Ctrl-C stops it)")  # noqa: T201
        if once:
            return
        web.wait()
    finally:
        for process in (web, worker):
            process.terminate()
        for process in (web, worker):
            process.wait(10)
