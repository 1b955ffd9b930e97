"""Settings: a missing or malformed value fails at start with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]


def _env(**values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_", "TOKEN_"))
    }
    env.update(values)
    return env


def _run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app.cli", *args],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secret_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_API_KEY", TEST_API_KEY)
    monkeypatch.delenv("SHOPIFY_API_SECRET", raising=False)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TEST_FERNET_KEY)
    with pytest.raises(SettingsError, match="SHOPIFY_API_SECRET is required but not set"):
        load_settings()


def test_plain_postgresql_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("SHOPIFY_API_SECRET", TEST_API_SECRET)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TEST_FERNET_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/x")
    with pytest.raises(SettingsError, match=r"DATABASE_URL must start with postgresql\+asyncpg://"):
        load_settings()


def test_serve_without_secret_exits_with_one_line(tmp_path: Path) -> None:
    result = _run_cli(
        "serve",
        env=_env(SHOPIFY_API_KEY=TEST_API_KEY, TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "boomerang: configuration error: SHOPIFY_API_SECRET is required but not set"
    ]


def test_unreachable_database_exits_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    result = _run_cli(
        "migrate",
        env=_env(
            SHOPIFY_API_KEY=TEST_API_KEY,
            SHOPIFY_API_SECRET=TEST_API_SECRET,
            TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY,
            DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing",
            REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        ),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    where = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing"
    assert lines[0].startswith(f"boomerang: PostgreSQL at {where} cannot be reached")


def test_malformed_database_url_exits_with_one_line(tmp_path: Path) -> None:
    result = _run_cli(
        "migrate",
        env=_env(
            SHOPIFY_API_KEY=TEST_API_KEY,
            SHOPIFY_API_SECRET=TEST_API_SECRET,
            TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY,
            DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:notaport/x",
        ),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("boomerang: configuration error: DATABASE_URL is malformed")


def test_unreachable_redis_exits_with_one_line(tmp_path: Path, database_url: str) -> None:
    # (The worker waits for Redis instead: tests/app/test_worker_redis_loss.py.)
    port = free_port()
    result = _run_cli(
        "migrate",
        env=_env(
            SHOPIFY_API_KEY=TEST_API_KEY,
            SHOPIFY_API_SECRET=TEST_API_SECRET,
            TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY,
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:{port}/0",
        ),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"boomerang: Redis at redis://127.0.0.1:{port}/0 cannot be reached")


def test_cdn_url_defaults_to_shopify_and_must_be_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("SHOPIFY_API_SECRET", TEST_API_SECRET)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", TEST_FERNET_KEY)
    assert load_settings().shopify_cdn_url == "https://cdn.shopify.com"
    monkeypatch.setenv("SHOPIFY_CDN_URL", "http://127.0.0.1:8765/cdn/")
    assert load_settings().shopify_cdn_url == "http://127.0.0.1:8765/cdn"
    monkeypatch.setenv("SHOPIFY_CDN_URL", "cdn.shopify.com")
    with pytest.raises(SettingsError, match="SHOPIFY_CDN_URL must be an http"):
        load_settings()
