"""`boomerang healthcheck`, the one image's container check, against real processes: the web
role answers on its port, the worker role is alive while its heartbeat is fresh."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SHOPIFY_API_KEY": TEST_API_KEY,
        "SHOPIFY_API_SECRET": TEST_API_SECRET,
        "TOKEN_ENCRYPTION_KEYS": TEST_FERNET_KEY,
        "DATABASE_URL": settings.database,
        "REDIS_URL": settings.redis,
        "DATA_DIR": str(settings.data_dir),
        "LOG_LEVEL": "WARNING",
    }


def healthcheck(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own interpreter and module)
        [sys.executable, "-m", "app.cli", "healthcheck", *args],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def start(settings: Settings, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spawn(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _until_healthy(settings: Settings, log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + 30
    while True:
        result = healthcheck(settings, *args)
        if result.returncode == 0 or time.monotonic() > deadline:
            assert result.returncode == 0, result.stdout + log.read_text()[-2000:]
            return result
        time.sleep(0.3)


def test_web_role_is_healthy_while_it_answers(
    settings: Settings, start: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    port = free_port()
    before = healthcheck(settings, "--role", "web", "--port", str(port))
    assert before.returncode == 1
    assert f"nothing answers /healthz on port {port}" in before.stdout
    log = tmp_path / "serve.log"
    start.append(_spawn(settings, log, "serve", "--port", str(port)))
    result = _until_healthy(settings, log, "--port", str(port))
    assert "web: /healthz answers" in result.stdout


def test_worker_role_is_healthy_while_its_heartbeat_is_fresh(
    settings: Settings, start: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there: the check must find the worker's heartbeat
    before = healthcheck(settings, "--port", str(port))
    assert before.returncode == 1
    assert "no worker heartbeat" in before.stdout
    log = tmp_path / "worker.log"
    start.append(_spawn(settings, log, "worker"))
    result = _until_healthy(settings, log, "--port", str(port))
    assert "worker: heartbeat fresh" in result.stdout
    assert healthcheck(settings, "--role", "web", "--port", str(port)).returncode == 1
