"""A worker killed (SIGKILL) in the middle of a handler commits nothing; the event comes back
through the sweeper and is processed exactly once in effect."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Order, Shop, WebhookEvent
from app.settings import Settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop

ROOT = Path(__file__).resolve().parents[2]


def start_worker(settings: Settings, marker: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SHOPIFY_API_KEY": TEST_API_KEY,
        "SHOPIFY_API_SECRET": TEST_API_SECRET,
        "TOKEN_ENCRYPTION_KEYS": TEST_FERNET_KEY,
        "DATABASE_URL": settings.database,
        "REDIS_URL": settings.redis,
        "WEBHOOK_SWEEP_AFTER_SECONDS": "1",
        "DATA_DIR": str(settings.data_dir),
    }
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "tests.support.crash_worker", str(marker)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    process.send_signal(sig)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else "(no log)"


async def wait_for(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return what
        await asyncio.sleep(0.2)
    return f"timed out waiting for {what}"


async def test_worker_killed_mid_handler_processes_the_event_exactly_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    shop_id = await install_shop(sessions)
    marker, log = tmp_path / "blocked", tmp_path / "worker.log"
    assert (
        await deliver(client, "orders/create", fixture_bytes("orders/create"))
    ).status_code == 200

    async def blocked() -> bool:
        return await asyncio.to_thread(marker.exists)

    async def processed() -> bool:
        async with sessions.begin() as session:
            status = await session.scalar(select(WebhookEvent.status))
        return status == "processed"

    first = start_worker(settings, marker, log)
    try:
        waited = await wait_for(blocked, 30, "the first worker to block in the handler")
    finally:
        stop(first, signal.SIGKILL)
    assert waited == "the first worker to block in the handler", tail(log)
    assert not await processed()

    second = start_worker(settings, marker, log)
    try:
        waited = await wait_for(processed, 40, "the restarted worker to process the event")
    finally:
        stop(second, signal.SIGTERM)
    assert waited == "the restarted worker to process the event", tail(log)

    async with sessions.begin() as session:
        plan_name = await session.scalar(select(Shop.plan_name).where(Shop.id == shop_id))
        orders = await session.scalar(select(func.count()).select_from(Order))
        event = (await session.execute(select(WebhookEvent))).scalar_one()
    assert plan_name == "x"  # the listener's non-idempotent write landed once
    assert orders == 1
    assert (event.status, event.attempts) == ("processed", 0)
