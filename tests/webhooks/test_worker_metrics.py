"""The worker counts the processing (latency, outcome per topic), so it serves those metrics
itself: a scrape of the real worker process shows a processed and a failed event."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.services import free_port
from tests.support.webhooks import deliver, install_shop
from tests.support.worker import log_tail, start_worker_process, stop_worker_process


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_worker_serves_processing_metrics_per_topic_and_outcome(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    await install_shop(sessions)
    assert (await deliver(client, "orders/create", fixture_bytes("orders/create"))).is_success
    assert (await deliver(client, "orders/paid", b'{"id": 1, "line_items": [')).is_success
    port, log = free_port(), tmp_path / "worker.log"

    async def settled() -> bool:
        async with sessions.begin() as session:
            statuses = (await session.execute(select(WebhookEvent.status))).scalars().all()
        return sorted(statuses) == ["failed", "processed"]

    worker = start_worker_process(
        settings,
        log,
        env={"WORKER_METRICS_PORT": str(port), "WORKER_METRICS_HOST": "127.0.0.1"},
    )
    try:
        try:
            async with asyncio.timeout(40):
                while not await settled():  # noqa: ASYNC110  (another process's doing)
                    await asyncio.sleep(0.2)
        except TimeoutError:
            pytest.fail("the worker did not settle both events:\n" + log_tail(log))
        async with httpx.AsyncClient() as scraper:
            scraped = await scraper.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        stop_worker_process(worker, signal.SIGTERM)
    assert scraped.status_code == 200, log_tail(log)

    found = samples(scraped.text)

    def value(name: str, **labels: str) -> float | None:
        return found.get((name, frozenset(labels.items())))

    processed = "boomerang_webhooks_processed_total"
    assert value(processed, topic="orders/create", outcome="processed") == 1
    assert value(processed, topic="orders/paid", outcome="malformed") == 1
    assert value(processed, topic="orders/create", outcome="malformed") is None
    latency = "boomerang_webhook_processing_seconds_count"
    assert value(latency, topic="orders/create") == 1
    assert value(latency, topic="orders/paid") is None  # a failure has no processing time
