"""Structured logs: every line of a request carries its request id (sent back as X-Request-Id),
a delivery's lines its shop and webhook id; the worker started with LOG_FORMAT=json writes one
JSON object per line, the processing's with the shop, the webhook id and the job id."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.webhooks import SHOP, install_shop, shopify_headers
from tests.support.worker import log_tail, start_worker_process, stop_worker_process


async def test_a_request_gets_an_id_that_its_log_lines_carry(client: httpx.AsyncClient) -> None:
    body = fixture_bytes("orders/create")
    headers = shopify_headers("orders/create", body, secret="not-the-app-secret")
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        refused = await client.post(
            "/webhooks", content=body, headers={**headers, "X-Request-Id": "proxy-7f3a"}
        )
        other = await client.get("/healthz")
    assert refused.status_code == 401
    assert refused.headers["x-request-id"] == "proxy-7f3a"
    [line] = [e for e in logs if e["event"].startswith("webhook rejected")]
    assert line["request_id"] == "proxy-7f3a"
    assert line["shop"] == SHOP
    assert line["webhook_id"] == headers["X-Shopify-Webhook-Id"]
    # No id given (or one that is not a plain token): one of ours, different per request.
    generated = other.headers["x-request-id"]
    assert len(generated) == 16
    assert generated != "proxy-7f3a"
    odd = await client.get("/healthz", headers={"X-Request-Id": "a b;c"})
    assert odd.headers["x-request-id"] not in ("a b;c", generated)


def _json_lines(log: Path) -> list[dict[str, Any]]:
    lines = []
    for raw in log.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            raise AssertionError(f"not a JSON line: {raw!r}") from None
    return lines


async def test_the_worker_logs_json_lines_naming_shop_webhook_and_job(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    tmp_path: Path,
) -> None:
    await install_shop(sessions)
    body = fixture_bytes("orders/create")
    headers = shopify_headers("orders/create", body)
    assert (await client.post("/webhooks", content=body, headers=headers)).is_success
    log = tmp_path / "worker.log"
    worker = start_worker_process(settings, log, env={"LOG_FORMAT": "json"})
    try:
        deadline = time.monotonic() + 60
        while "webhook event handled" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log_tail(log)
            assert worker.poll() is None, log_tail(log)
            await asyncio.sleep(0.2)
    finally:
        stop_worker_process(worker, signal.SIGTERM)
    lines = _json_lines(log)
    [handled] = [line for line in lines if line["event"] == "webhook event handled"]
    assert handled["shop"] == SHOP
    assert handled["webhook_id"] == headers["X-Shopify-Webhook-Id"]
    assert handled["job_id"] == "webhook:1"
    assert handled["outcome"] == "processed"
    assert handled["level"] == "info"
    assert handled["timestamp"].endswith("Z")
    # arq's own lines (the standard library's logging) are JSON objects too.
    assert any(line.get("logger", "").startswith("arq") for line in lines)
