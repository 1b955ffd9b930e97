"""Prometheus metrics of the service; multi-process aware under `serve --workers N`."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
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

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
