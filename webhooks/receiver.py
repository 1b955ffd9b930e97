"""POST /webhooks, for every topic: verify the signature over the raw body, store the raw event
(committed), enqueue its processing, answer 200. The answer never waits on a handler.

This is the hot path Shopify times at 5 s, so it is served by a small ASGI middleware ahead of
FastAPI's router: no parameters to validate, no dependencies to solve, no exception and exit
stacks (in bench/ingest that machinery cost more than the HMAC, the insert and the enqueue).
The body is read into memory to be signed, so it is capped (MAX_BODY_BYTES): a larger one is
answered 413 before it is read to the end, and nothing is stored.

Shopify signs the body, not the headers: a delivery whose body names another shop than
X-Shopify-Shop-Domain is refused (webhooks/binding.py), and one triggered before Shopify's retry
window (WEBHOOK_MAX_AGE_SECONDS) is dropped. Re-sent bodies that pass both are no-ops in the
topic handlers, which are idempotent on the resource's id and updated_at."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from app import metrics
from app.db.driver import run_on_driver
from app.inbox.jobs import first_job_id
from app.platform.resources import Resources
from app.shopify.webhook_verification import WebhookVerifier
from app.web.body_limits import declared_length, read_capped_body
from webhooks.binding import names_another_shop
from webhooks.inbox import (
    DeliveryHeaders,
    MissingHeader,
    Stored,
    enqueue_processing,
    store_delivery,
)

log = structlog.get_logger(__name__)

PATH = "/webhooks"
# Shopify documents no cap for HTTPS deliveries; its staff speak of bodies "upwards of a
# megabyte", and its largest documented channel limit is Pub/Sub's 10 MB message. 10 MiB
# keeps that headroom while no request can make a web process hold more than this.
MAX_BODY_BYTES = 10 * 1024 * 1024


async def receive_webhook(
    resources: Resources, verifier: WebhookVerifier, headers: Mapping[str, str], body: bytes
) -> tuple[int, str]:
    """The whole route: (status, text) for one delivery."""
    if not verifier.verify(body, headers.get("x-shopify-hmac-sha256")):
        metrics.WEBHOOKS_REJECTED.labels("bad_hmac").inc()
        log.warning("webhook rejected: signature does not match the body")
        return 401, "invalid signature"
    try:
        delivery = DeliveryHeaders.from_headers(headers)
    except MissingHeader as exc:
        metrics.WEBHOOKS_REJECTED.labels("missing_header").inc()
        log.warning("webhook rejected", reason=str(exc))
        return 400, str(exc)
    if names_another_shop(delivery.topic, delivery.shop_domain, body):
        # A signed body replayed with another shop's header: only its sender can mean that.
        metrics.WEBHOOKS_REJECTED.labels("shop_mismatch").inc()
        log.warning(
            "webhook rejected: X-Shopify-Shop-Domain is not the shop its signed body names",
            shop=delivery.shop_domain,
            topic=delivery.topic,
            webhook_id=delivery.webhook_id,
        )
        return 401, "X-Shopify-Shop-Domain does not match the shop named in the signed body"
    if _too_old(delivery, resources.settings.webhook_max_age_seconds):
        # Past Shopify's retry window no genuine delivery arrives: a replay of a captured body.
        # Answered 200 all the same: the signature is good, so it may be Shopify's (a clock
        # gone wrong), and an error would only earn retries of the same old body and, for an
        # API-made subscription, its deletion after 8 failures. Nothing is stored.
        metrics.WEBHOOKS_REJECTED.labels("stale").inc()
        log.warning(
            "webhook dropped: triggered before Shopify's retry window, not stored",
            shop=delivery.shop_domain,
            topic=delivery.topic,
            webhook_id=delivery.webhook_id,
            triggered_at=str(delivery.triggered_at),
        )
        return 200, ""

    # The insert is one statement, so its own transaction: durable when it returns, with no
    # BEGIN/COMMIT round trips (17 % of this route's time under load); it runs on the pooled
    # connection's driver (bench/ingest: the ORM-free path halves this route's CPU). It is
    # idempotent (ON CONFLICT DO NOTHING), so a connection a PostgreSQL restart killed costs
    # one retry on a fresh connection, not the delivery.
    stored = await run_on_driver(
        resources.engine, lambda driver: store_delivery(driver, delivery, body)
    )

    if stored.outcome is Stored.UNKNOWN_SHOP:
        # Shopify's own libraries acknowledge deliveries for shops they hold no session for
        # (Shopify/shopify-app-js#363): an error would only earn retries and, for API-made
        # subscriptions, their removal. Nothing is stored.
        metrics.WEBHOOKS_REJECTED.labels("unknown_shop").inc()
        log.warning(
            "webhook for a shop that never installed the app: acknowledged, not stored",
            shop=delivery.shop_domain,
            topic=delivery.topic,
            webhook_id=delivery.webhook_id,
        )
        return 200, ""
    if stored.outcome is Stored.DUPLICATE or stored.event_row_id is None:
        metrics.WEBHOOKS_DUPLICATE.labels(delivery.topic).inc()
        return 200, ""

    metrics.WEBHOOKS_RECEIVED.labels(delivery.topic).inc()
    await enqueue_processing(
        resources.queue,
        stored.event_row_id,
        job_id=first_job_id(stored.event_row_id),
        shop=delivery.shop_domain,
    )
    return 200, ""


def _too_old(delivery: DeliveryHeaders, max_age_seconds: int) -> bool:
    """Triggered longer ago than max_age_seconds (0: no limit). Without a readable
    X-Shopify-Triggered-At there is nothing to judge: the processing's idempotency holds."""
    if not max_age_seconds or delivery.triggered_at is None:
        return False
    return delivery.triggered_at < datetime.now(UTC) - timedelta(seconds=max_age_seconds)


class WebhookReceiver:
    """ASGI middleware answering POST /webhooks; everything else goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = await read_capped_body(receive, declared_length(headers), MAX_BODY_BYTES)
        if body is None:
            metrics.WEBHOOKS_REJECTED.labels("too_large").inc()
            log.warning(
                "webhook refused: body larger than the cap, not stored",
                limit_bytes=MAX_BODY_BYTES,
                shop=headers.get("x-shopify-shop-domain"),
                topic=headers.get("x-shopify-topic"),
            )
            await _answer(send, 413, f"body larger than {MAX_BODY_BYTES} bytes")
            return
        state: Any = scope["app"].state
        # Every line logged for this delivery names its shop and webhook id (the headers are
        # unverified until the signature is checked: they say what the delivery claims).
        with structlog.contextvars.bound_contextvars(
            shop=headers.get("x-shopify-shop-domain"),
            webhook_id=headers.get("x-shopify-webhook-id"),
        ):
            status, text = await receive_webhook(
                state.resources, state.webhook_verifier, headers, body
            )
        await _answer(send, status, text)


async def _answer(send: Send, status: int, text: str) -> None:
    content = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(content)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
