"""`boomerang worker` stopped by SIGTERM (a deploy, `docker stop`, Kubernetes ending a pod) while
it is starting jobs one after another: it exits cleanly (status 0, no traceback), and a job it
was starting is not left marked as running by a worker that is gone: the next worker runs
every job, and each event is processed."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.inbox.jobs import PROCESS_JOB, first_job_id
from app.models import WebhookEvent, WebhookEventStatus
from app.queue.arq_backend import ArqQueue
from app.queue.interface import JobStatus
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import log_tail, start_worker_process, stop_worker_process

SHOP = "busy-shop.myshopify.com"
EVENTS = 1_000
# Each round lets the worker get going (jobs starting back to back), then stops it.
ROUNDS = 4
STARTED_PER_ROUND = 40


async def _processed(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).where(
                        WebhookEvent.status == WebhookEventStatus.PROCESSED.value
                    )
                )
            ).scalar_one()
        )


# Both ways of starting a job: fair scheduling (the default; the worker starts the jobs it
# takes from the shops' turns, ADMIT marks them) and FIFO (arq's own start, its MULTI/EXEC
# marks them).
@pytest.mark.parametrize("fair", [True, False], ids=["fair", "fifo"])
async def test_sigterm_while_jobs_start_exits_cleanly_and_leaves_no_job_stuck(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
    fair: bool,
) -> None:
    # Fair: the worker starts the jobs it takes from the shops' turns itself (ADMIT marks
    # them); FIFO: arq's own start.
    settings = settings.model_copy(update={"queue_fair": fair})
    env = {"QUEUE_FAIR": "true" if fair else "false"}
    shop_id = await install_shop(sessions, domain=SHOP)
    assert (
        await deliver(client, "orders/create", fixture_bytes("orders/create"), shop=SHOP)
    ).is_success
    async with sessions.begin() as session:
        ids = list(
            (
                await session.execute(
                    text(
                        "INSERT INTO webhook_events (shop_id, topic, webhook_id, event_id,"
                        " triggered_at, api_version, body, status, attempts)"
                        " SELECT shop_id, topic, 'copy-' || g, event_id, triggered_at,"
                        " api_version, body, status, 0"
                        " FROM webhook_events, generate_series(1, :n) AS g WHERE shop_id = :shop"
                        " ORDER BY g RETURNING id"
                    ),
                    {"n": EVENTS - 1, "shop": shop_id},
                )
            ).scalars()
        )
    queue = ArqQueue(settings.redis, fair=settings.queue_fair)
    try:
        for row_id in ids:
            await queue.enqueue(PROCESS_JOB, row_id, job_id=first_job_id(row_id), shop=SHOP)
        for round_ in range(ROUNDS):
            log = tmp_path / f"worker-{round_}.log"
            before = await _processed(sessions)
            worker = start_worker_process(settings, log, env=env)
            try:
                deadline = time.monotonic() + 60
                while await _processed(sessions) < before + STARTED_PER_ROUND:
                    assert time.monotonic() < deadline, log_tail(log)
                    assert worker.poll() is None, log_tail(log)
                    await asyncio.sleep(0.05)
            finally:
                stop_worker_process(worker, signal.SIGTERM)
            output = log.read_text()
            assert worker.returncode == 0, log_tail(log)
            assert "Traceback" not in output, log_tail(log)
            assert "CancelledError" not in output, log_tail(log)
            # No worker runs now: a job still marked running would wait for arq's 5-minute
            # expiry (or the dead-job reclaim) before anyone ran it.
            left = [first_job_id(row_id) for row_id in ids]
            states = await queue.job_states(left)
            stuck = [job for job, state in states.items() if state.status is JobStatus.RUNNING]
            assert not stuck, (stuck[:5], log_tail(log))

        log = tmp_path / "worker-last.log"
        worker = start_worker_process(settings, log, env=env)
        try:
            deadline = time.monotonic() + 240
            while await _processed(sessions) < EVENTS:
                assert time.monotonic() < deadline, (await _processed(sessions), log_tail(log))
                assert worker.poll() is None, log_tail(log)
                await asyncio.sleep(0.2)
        finally:
            stop_worker_process(worker, signal.SIGTERM)
        assert worker.returncode == 0, log_tail(log)
    finally:
        await queue.close()
