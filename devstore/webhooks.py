"""The webhook sender: signs bodies, posts them to the app, retries on Shopify's schedule.

It can also misbehave on purpose, as Shopify may: deliver twice, out of order, or late.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from devstore.clock import Clock
from devstore.config import WEBHOOK_RETRY_DELAYS, SimulatorConfig


def sign(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body bytes."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def triggered_at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Attempt:
    """One POST of one delivery."""

    webhook_id: str
    topic: str
    url: str
    number: int  # 1 for the first try, 2 for the first retry, ...
    status: int | None
    latency: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Delivery:
    """One webhook delivery: a fixed body and headers, retried until a 2xx or out of retries."""

    webhook_id: str
    event_id: str
    shop: str
    topic: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(attempt.ok for attempt in self.attempts)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Outgoing:
    """A webhook to send: which shop, which topic, what body."""

    shop: str
    topic: str
    payload: dict[str, Any]
    triggered_at: datetime | None = None
    event_id: str | None = None


class WebhookSender:
    """Posts signed webhooks with Shopify's headers, timeouts and retry schedule."""

    def __init__(
        self,
        config: SimulatorConfig,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.transport = transport
        self.deliveries: list[Delivery] = []
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Delivery]] = set()

    # -- building ---------------------------------------------------------------------------

    def build(
        self,
        shop: str,
        topic: str,
        payload: dict[str, Any],
        *,
        url: str | None = None,
        event_id: str | None = None,
        at: datetime | None = None,
        secret: str | None = None,
    ) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        webhook_id = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret or self.config.api_secret),
            "X-Shopify-Shop-Domain": shop,
            "X-Shopify-API-Version": self.config.api_version,
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at(at or self.clock.now()),
        }
        return Delivery(
            webhook_id=webhook_id,
            event_id=headers["X-Shopify-Event-Id"],
            shop=shop,
            topic=topic,
            url=url or self.config.webhook_url,
            body=body,
            headers=headers,
        )

    # -- sending ----------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport,
                timeout=httpx.Timeout(
                    self.config.webhook_total_timeout, connect=self.config.webhook_connect_timeout
                ),
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        await self.drain()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def attempt(self, delivery: Delivery) -> Attempt:
        """POST the delivery once (1 s to connect, 5 s in all), recording the outcome."""
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.config.webhook_total_timeout):
                response = await self._http().post(
                    delivery.url, content=delivery.body, headers=delivery.headers
                )
            status = response.status_code
        except TimeoutError:
            error = "timeout"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"
        record = Attempt(
            webhook_id=delivery.webhook_id,
            topic=delivery.topic,
            url=delivery.url,
            number=len(delivery.attempts) + 1,
            status=status,
            latency=time.perf_counter() - started,
            error=error,
        )
        delivery.attempts.append(record)
        return record

    async def deliver(self, delivery: Delivery) -> Delivery:
        """Try, then retry on Shopify's schedule (compressed by the config) until a 2xx."""
        if delivery not in self.deliveries:
            self.deliveries.append(delivery)
        delays = WEBHOOK_RETRY_DELAYS[: self.config.webhook_max_retries]
        if (await self.attempt(delivery)).ok:
            return delivery
        for delay in delays:
            await asyncio.sleep(delay / self.config.webhook_time_compression)
            if (await self.attempt(delivery)).ok:
                break
        return delivery

    async def send(
        self,
        shop: str,
        topic: str,
        payload: dict[str, Any],
        *,
        url: str | None = None,
        duplicate: bool = False,
        delay: float = 0.0,
        event_id: str | None = None,
        at: datetime | None = None,
    ) -> list[Delivery]:
        """Deliver one webhook; `duplicate` sends the same delivery (same webhook id) twice."""
        delivery = self.build(shop, topic, payload, url=url, event_id=event_id, at=at)
        if delay > 0:
            await asyncio.sleep(delay)
        await self.deliver(delivery)
        if duplicate:
            await self.attempt(delivery)
        return [delivery]

    async def send_batch(
        self,
        items: Sequence[Outgoing],
        *,
        reorder: random.Random | None = None,
        duplicate_rate: float = 0.0,
        rng: random.Random | None = None,
        url: str | None = None,
    ) -> list[Delivery]:
        """Deliver several webhooks; optionally shuffled (`reorder`) and partly duplicated."""
        deliveries = [
            self.build(
                item.shop,
                item.topic,
                item.payload,
                url=url,
                event_id=item.event_id,
                at=item.triggered_at,
            )
            for item in items
        ]
        order = list(deliveries)
        if reorder is not None:
            reorder.shuffle(order)
        chooser = rng or random.Random(0)  # noqa: S311 - test traffic, not security
        for delivery in order:
            await self.deliver(delivery)
            if duplicate_rate > 0 and chooser.random() < duplicate_rate:
                await self.attempt(delivery)
        return deliveries

    def send_later(self, delivery: Delivery, delay: float = 0.0) -> asyncio.Task[Delivery]:
        """Deliver in the background (after `delay` seconds); `drain()` waits for all of them."""

        async def run() -> Delivery:
            if delay > 0:
                await asyncio.sleep(delay)
            return await self.deliver(delivery)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def attempts(self) -> list[Attempt]:
        return [attempt for delivery in self.deliveries for attempt in delivery.attempts]
