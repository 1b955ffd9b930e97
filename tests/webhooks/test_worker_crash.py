"""A worker killed (SIGKILL) in the middle of a handler commits nothing; the event comes back
through the sweeper and is processed exactly once in effect."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Order, Shop, WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import log_tail, start_worker_process, stop_worker_process


def start_worker(settings: Settings, marker: Path, log: Path) -> subprocess.Popen[bytes]:
    return start_worker_process(
        settings,
        log,
        module=("tests.support.crash_worker", str(marker)),
        env={"WEBHOOK_SWEEP_AFTER_SECONDS": "1"},
    )


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
        stop_worker_process(first, signal.SIGKILL)
    assert waited == "the first worker to block in the handler", log_tail(log)
    assert not await processed()

    second = start_worker(settings, marker, log)
    try:
        waited = await wait_for(processed, 40, "the restarted worker to process the event")
    finally:
        stop_worker_process(second, signal.SIGTERM)
    assert waited == "the restarted worker to process the event", log_tail(log)

    async with sessions.begin() as session:
        plan_name = await session.scalar(select(Shop.plan_name).where(Shop.id == shop_id))
        orders = await session.scalar(select(func.count()).select_from(Order))
        event = (await session.execute(select(WebhookEvent))).scalar_one()
    assert plan_name == "x"  # the listener's non-idempotent write landed once
    assert orders == 1
    assert (event.status, event.attempts) == ("processed", 0)
