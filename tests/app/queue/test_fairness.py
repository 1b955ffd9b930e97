"""Per-shop fairness (app/queue/fair.py): a small shop's deliveries are processed within 10 s of
arriving behind another shop's backlog of 20,000, by the worker started as an operator starts
it; a shop's own jobs start in the order enqueued; the cap on one shop's running jobs holds."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox.jobs import PROCESS_JOB, first_job_id
from app.models import WebhookEvent, WebhookEventStatus
from app.queue import JobContext
from app.queue.arq_backend import ArqQueue, build_worker, queue_depth
from app.queue.interface import QueueUnavailable
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import log_tail, start_worker_process, stop_worker_process

BIG, SMALL = "big-sale.myshopify.com", "corner-shop.myshopify.com"
BACKLOG = 20_000
SMALL_ORDERS = 5
WITHIN_SECONDS = 10.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Fair scheduling is the default (QUEUE_FAIR); these tests hold to it whatever the
    environment says."""
    return settings.model_copy(update={"queue_fair": True})


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[ArqQueue]:
    queue = ArqQueue(settings.redis, fair=settings.queue_fair)
    yield queue
    await queue.close()


async def _backlog(
    sessions: async_sessionmaker[AsyncSession], queue: ArqQueue, shop_id: int
) -> int:
    """BACKLOG stored orders/create deliveries of the big shop (copies of one real delivery,
    each its own webhook id), each enqueued as the receiver enqueues it."""
    async with sessions.begin() as session:
        seed = (
            await session.execute(select(WebhookEvent.id).where(WebhookEvent.shop_id == shop_id))
        ).scalar_one()
        ids = list(
            (
                await session.execute(
                    text(
                        "INSERT INTO webhook_events (shop_id, topic, webhook_id, event_id,"
                        " triggered_at, api_version, body, status, attempts)"
                        " SELECT shop_id, topic, 'backlog-' || g, event_id, triggered_at,"
                        " api_version, body, status, 0"
                        " FROM webhook_events, generate_series(1, :n) AS g WHERE id = :seed"
                        " ORDER BY g RETURNING id"
                    ),
                    {"n": BACKLOG - 1, "seed": seed},
                )
            ).scalars()
        )
    limit = asyncio.Semaphore(8)

    async def enqueue(row_id: int) -> bool:
        async with limit:
            for _ in range(10):
                # A 2-core machine loaded by other runs can make Redis slow to accept a new
                # connection (the queue gives up after 1 s, as the webhook route must).
                try:
                    return await queue.enqueue(
                        PROCESS_JOB, row_id, job_id=first_job_id(row_id), shop=BIG
                    )
                except QueueUnavailable:
                    await asyncio.sleep(0.5)
            return False

    assert all(await asyncio.gather(*(enqueue(i) for i in ids)))


async def _processed(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> int:
    async with sessions.begin() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).where(
                        WebhookEvent.shop_id == shop_id,
                        WebhookEvent.status == WebhookEventStatus.PROCESSED.value,
                    )
                )
            ).scalar_one()
        )


async def test_a_small_shop_is_served_within_10_s_behind_a_backlog_of_20000(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    queue: ArqQueue,
    redis_url: str,
    tmp_path: Path,
) -> None:
    big_id = await install_shop(sessions, domain=BIG)
    small_id = await install_shop(sessions, domain=SMALL)
    body = fixture_bytes("orders/create")
    # The first of the backlog arrives as Shopify sends it; the rest are copies of it.
    assert (await deliver(client, "orders/create", body, shop=BIG)).is_success
    await _backlog(sessions, queue, big_id)
    redis = Redis.from_url(redis_url)
    assert (await queue_depth(redis)).ready == BACKLOG
    log = tmp_path / "worker.log"
    worker = start_worker_process(settings, log, env={"QUEUE_FAIR": "true"})
    try:
        # The worker is busy with the backlog before the small shop's orders arrive.
        deadline = time.monotonic() + 40
        while await _processed(sessions, big_id) < 20:
            assert time.monotonic() < deadline, log_tail(log)
            assert worker.poll() is None, log_tail(log)
            await asyncio.sleep(0.2)

        arrived = time.monotonic()
        for _ in range(SMALL_ORDERS):
            assert (await deliver(client, "orders/create", body, shop=SMALL)).is_success
        while await _processed(sessions, small_id) < SMALL_ORDERS:
            waited = time.monotonic() - arrived
            assert waited <= WITHIN_SECONDS, (
                f"{await _processed(sessions, small_id)} of the small shop's {SMALL_ORDERS} "
                f"orders processed after {waited:.1f} s\n{log_tail(log)}"
            )
            await asyncio.sleep(0.1)
        # They went ahead of nearly all of the backlog, which is still there.
        left = BACKLOG - await _processed(sessions, big_id)
        assert left > BACKLOG // 2
        depth = await queue_depth(redis)
        assert {s.shop for s in depth.shops} == {BIG}
    finally:
        stop_worker_process(worker, signal.SIGTERM)
        await redis.aclose()


async def test_one_shops_jobs_start_in_order_and_within_its_cap(settings: Settings) -> None:
    """Jobs of a recording function, run by the queue's worker with a cap of 2 running jobs per
    shop: shop A's 30 are taken in the order enqueued (two taken together may begin a moment
    apart either way), never more than 2 at once, and shop B's 3, enqueued last, start before
    A's backlog is through."""
    started: list[tuple[str, int]] = []
    running: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)

    async def record(ctx: JobContext, shop: str, n: int) -> None:
        started.append((shop, n))
        running[shop] += 1
        most[shop] = max(most[shop], running[shop])
        await asyncio.sleep(0.05)
        running[shop] -= 1

    async def startup() -> Any:
        return None

    async def shutdown(resources: Any) -> None:
        return None

    queue = ArqQueue(settings.redis)
    try:
        for n in range(30):
            assert await queue.enqueue("record", "a", n, job_id=f"a:{n}", shop="a")
        for n in range(3):
            assert await queue.enqueue("record", "b", n, job_id=f"b:{n}", shop="b")
        worker = build_worker(
            redis_url=settings.redis,
            functions={"record": record},
            cron_jobs=[],
            on_startup=startup,
            on_shutdown=shutdown,
            max_jobs=10,
            handle_signals=False,
            shop_max_running=2,
        )
        worker.burst = True
        await asyncio.wait_for(worker.main(), timeout=90)
        await worker.pool.aclose(close_connection_pool=True)
    finally:
        await queue.close()

    a_order = [n for shop, n in started if shop == "a"]
    assert sorted(a_order) == list(range(30))
    assert all(abs(n - place) <= 2 for place, n in enumerate(a_order)), a_order
    assert sorted(n for shop, n in started if shop == "b") == [0, 1, 2]
    assert most == {"a": 2, "b": 2}
    order = [shop for shop, _ in started]
    assert order.index("b") < 4  # B's first job in the first turns, not after A's 30
    assert order[: order.index("b", order.index("b") + 1) + 1].count("a") <= 4
