"""Prometheus metrics of the service; multi-process aware under `serve --workers N`. The web
app serves them at GET /metrics; the worker, which counts the processing (latency, outcomes per
topic), serves its own on WORKER_METRICS_PORT."""

from __future__ import annotations

import os
from threading import Thread
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

CONTENT_TYPE = CONTENT_TYPE_LATEST


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
