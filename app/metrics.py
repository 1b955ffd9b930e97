"""Prometheus metrics of the service; multi-process aware under `serve --workers N`. The web
app serves them at GET /metrics; the worker, which counts the processing (latency, outcomes per
topic), serves its own on WORKER_METRICS_PORT."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from threading import Thread
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

WEBHOOKS_RECEIVED = Counter(
    "boomerang_webhooks_received_total", "Verified webhook deliveries stored", ["topic"]
)
WEBHOOKS_DUPLICATE = Counter(
    "boomerang_webhooks_duplicate_total",
    "Deliveries whose webhook id was already stored",
    ["topic"],
)
WEBHOOKS_REJECTED = Counter(
    "boomerang_webhooks_rejected_total", "Deliveries refused before storing", ["reason"]
)
WEBHOOKS_PROCESSED = Counter(
    "boomerang_webhooks_processed_total", "Webhook events processed", ["topic", "outcome"]
)
WEBHOOK_PROCESSING_SECONDS = Histogram(
    "boomerang_webhook_processing_seconds",
    "From receipt to processed",
    ["topic"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

# Set by the worker's heartbeat (jobs/heartbeat.py) every 10 s: the jobs due now and waiting
# for a worker (deferred retries and reminders not counted). The whole queue's, the same in
# every worker: aggregate with max(), not sum(). KEDA scales the workers on it (deploy/k8s).
QUEUE_READY_JOBS = Gauge(
    "boomerang_queue_ready_jobs",
    "Jobs due now and waiting in the queue",
    multiprocess_mode="max",
)

# Per shop, from the same heartbeat: the jobs due now waiting in each shop's ready list (fair
# scheduling, app/queue/fair.py) and those of the shop running; a shop with none is dropped.
QUEUE_SHOP_READY_JOBS = Gauge(
    "boomerang_queue_shop_ready_jobs",
    "Jobs due now waiting in the shop's turn",
    ["shop"],
    multiprocess_mode="max",
)
QUEUE_SHOP_RUNNING_JOBS = Gauge(
    "boomerang_queue_shop_running_jobs",
    "Jobs of the shop taken by a worker and not finished",
    ["shop"],
    multiprocess_mode="max",
)
# How long the oldest job due now has been due (waiting, or in arq's schedule: started or
# not). Per shop, how long its oldest ready job has waited.
QUEUE_LAG_SECONDS = Gauge(
    "boomerang_queue_lag_seconds", "Age of the oldest job due now", multiprocess_mode="max"
)
QUEUE_SHOP_LAG_SECONDS = Gauge(
    "boomerang_queue_shop_lag_seconds",
    "Age of the shop's oldest job waiting in its turn",
    ["shop"],
    multiprocess_mode="max",
)

# The Admin API's leaky bucket (app/shopify/throttle.py): time spent waiting for it, per
# reason (`reserved`: our mirror spaced the call; `throttled`: Shopify answered THROTTLED).
SHOPIFY_THROTTLE_WAIT_SECONDS = Counter(
    "boomerang_shopify_throttle_wait_seconds_total",
    "Seconds calls waited for the shop's Admin API bucket",
    ["reason"],
)
SHOPIFY_THROTTLE_WAITS = Counter(
    "boomerang_shopify_throttle_waits_total",
    "Admin API calls that waited for the shop's bucket",
    ["reason"],
)

# One per send attempt's outcome (the message's status after it: sent, failed, queued for a
# retry, held, unconfirmed…).
MESSAGES_SENT = Counter(
    "boomerang_messages_sent_total", "Outbox send attempts by resulting status", ["status"]
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ShopDepth(Protocol):
    @property
    def shop(self) -> str: ...
    @property
    def ready(self) -> int: ...
    @property
    def running(self) -> int: ...
    @property
    def oldest_ready_ms(self) -> int: ...


def record_queue_depth(
    ready: int, lag_seconds: float, shops: Iterable[ShopDepth], *, now_ms: int | None = None
) -> None:
    """The queue's gauges, the per-shop series replaced by this reading (a shop whose backlog
    is gone stops being exported)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    QUEUE_READY_JOBS.set(ready)
    QUEUE_LAG_SECONDS.set(lag_seconds)
    for gauge in (QUEUE_SHOP_READY_JOBS, QUEUE_SHOP_RUNNING_JOBS, QUEUE_SHOP_LAG_SECONDS):
        gauge.clear()
    for shop in shops:
        QUEUE_SHOP_READY_JOBS.labels(shop.shop).set(shop.ready)
        QUEUE_SHOP_RUNNING_JOBS.labels(shop.shop).set(shop.running)
        if shop.oldest_ready_ms:
            QUEUE_SHOP_LAG_SECONDS.labels(shop.shop).set(
                max(0.0, (now_ms - shop.oldest_ready_ms) / 1000)
            )


def registry() -> CollectorRegistry:
    """This process's metrics, or, when processes share PROMETHEUS_MULTIPROC_DIR (uvicorn's
    workers under `serve --workers N`), all of theirs summed."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        return shared
    return REGISTRY


def render() -> bytes:
    return generate_latest(registry())


def serve(host: str, port: int) -> tuple[WSGIServer, Thread]:
    """Prometheus text on http://host:port/ (any path, /metrics included) from a daemon
    thread, for a process with no web app of its own: the worker. Raises OSError when the
    port cannot be bound."""
    return start_http_server(port, addr=host, registry=registry())
