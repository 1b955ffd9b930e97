"""The worker's queue-depth gauge, which KEDA scales the workers on (deploy/k8s): the jobs due
now are counted, a job deferred to later is not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import metrics
from app.inbox.jobs import PROCESS_JOB
from app.platform.resources import Resources, build_resources
from app.settings import Settings
from jobs.heartbeat import worker_heartbeat
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import SHOP, deliver, install_shop
from tests.support.worker import job_context, run_worker_burst

OTHER = "second-shop.myshopify.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Per-shop depths exist with fair scheduling (QUEUE_FAIR), which these tests turn on."""
    return settings.model_copy(update={"queue_fair": True})


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    resources = await build_resources(settings)
    yield resources
    await resources.close()


def ready_jobs() -> float:
    for family in text_string_to_metric_families(metrics.render().decode()):
        if family.name == "boomerang_queue_ready_jobs":
            return float(family.samples[0].value)
    raise AssertionError("boomerang_queue_ready_jobs is not exported")


async def test_gauge_counts_jobs_due_now_and_not_deferred_ones(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    resources: Resources,
) -> None:
    await install_shop(sessions)
    for _ in range(3):
        body = fixture_bytes("orders/create")
        assert (await deliver(client, "orders/create", body)).is_success
    assert await resources.queue.enqueue(
        PROCESS_JOB, 999_999, job_id="deferred-for-an-hour", defer_by=timedelta(hours=1)
    )

    await worker_heartbeat(job_context(resources))
    assert ready_jobs() == 3

    await run_worker_burst(settings, horizon=0)
    await worker_heartbeat(job_context(resources))
    assert ready_jobs() == 0


def samples(name: str) -> dict[str, float]:
    """The series of a labelled gauge, by their `shop` label."""
    for family in text_string_to_metric_families(metrics.render().decode()):
        if family.name == name:
            return {s.labels["shop"]: float(s.value) for s in family.samples}
    return {}


async def test_depth_and_lag_per_shop_then_gone_once_processed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    resources: Resources,
) -> None:
    await install_shop(sessions)
    await install_shop(sessions, domain=OTHER)
    for shop, count in ((SHOP, 3), (OTHER, 1)):
        for _ in range(count):
            body = fixture_bytes("orders/create")
            assert (await deliver(client, "orders/create", body, shop=shop)).is_success
    await asyncio.sleep(0.3)

    await worker_heartbeat(job_context(resources))
    assert samples("boomerang_queue_shop_ready_jobs") == {SHOP: 3, OTHER: 1}
    assert samples("boomerang_queue_shop_running_jobs") == {SHOP: 0, OTHER: 0}
    lags = samples("boomerang_queue_shop_lag_seconds")
    assert set(lags) == {SHOP, OTHER}
    assert all(0.3 <= lag < 60 for lag in lags.values())
    assert ready_jobs() == 4

    await run_worker_burst(settings, horizon=0)
    await worker_heartbeat(job_context(resources))
    assert samples("boomerang_queue_shop_ready_jobs") == {}
    assert ready_jobs() == 0
