"""The webhook sender: signs bodies, posts them to the app, retries on Shopify's schedule.

A failed first try does not hold up the deliveries after it: its retries run in the background,
as Shopify keeps delivering other webhooks while one is being retried (which is also how
deliveries come to arrive out of order). It can misbehave on purpose too: deliver twice, out of
order, or late (see devstore.disorder).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from devstore.clock import Clock
from devstore.config import WEBHOOK_RETRY_DELAYS, SimulatorConfig
from devstore.disorder import Disorder, Disorderer

# Called once a delivery has failed its first try and every retry.
GiveUp = Callable[["Delivery"], None]


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
    number: int  # 1 for the first try, 2 for the next POST of the same delivery, ...
    status: int | None
    latency: float
    error: str | None = None
    # Seconds of Shopify time waited since the previous try (0 for a first try or a duplicate).
    after: float = 0.0
    duplicate: bool = False  # a deliberate second POST of a delivery that had succeeded
    started: float = 0.0  # time.monotonic() when the POST began (real time)

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

    async def attempt(
        self, delivery: Delivery, *, after: float = 0.0, duplicate: bool = False
    ) -> Attempt:
        """POST the delivery once (1 s to connect, 5 s in all), recording the outcome."""
        started_at = time.monotonic()
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
            after=after,
            duplicate=duplicate,
            started=started_at,
        )
        delivery.attempts.append(record)
        return record

    def compressed(self, seconds: float) -> float:
        """Real seconds for `seconds` of Shopify time."""
        return seconds / self.config.webhook_time_compression

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return WEBHOOK_RETRY_DELAYS[: self.config.webhook_max_retries]

    async def deliver(
        self, delivery: Delivery, *, duplicate: bool = False, on_give_up: GiveUp | None = None
    ) -> Delivery:
        """Try once now; after a failure the retries go on in the background on Shopify's
        schedule (compressed by the config), so the caller's next delivery is not held up.
        `duplicate` posts the delivery a second time once it has succeeded; `on_give_up` runs
        when the last retry has failed. `drain()` waits for every retry."""
        self._register(delivery)
        if (await self.attempt(delivery)).ok:
            if duplicate:
                await self.attempt(delivery, duplicate=True)
            return delivery
        if self.retry_delays:
            self._spawn(self._retry(delivery, duplicate=duplicate, on_give_up=on_give_up))
        elif on_give_up is not None:
            on_give_up(delivery)
        return delivery

    async def _retry(
        self, delivery: Delivery, *, duplicate: bool, on_give_up: GiveUp | None
    ) -> Delivery:
        for delay in self.retry_delays:
            await asyncio.sleep(self.compressed(delay))
            if (await self.attempt(delivery, after=delay)).ok:
                if duplicate:
                    await self.attempt(delivery, duplicate=True)
                return delivery
        if on_give_up is not None:
            on_give_up(delivery)
        return delivery

    def _register(self, delivery: Delivery) -> None:
        if delivery not in self.deliveries:
            self.deliveries.append(delivery)

    def _spawn(self, work: Coroutine[Any, Any, Delivery]) -> asyncio.Task[Delivery]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

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
        """Deliver one webhook; `duplicate` posts the same delivery (same webhook id) twice;
        `delay` holds it back that many seconds of Shopify time, in the background."""
        delivery = self.build(shop, topic, payload, url=url, event_id=event_id, at=at)
        if delay > 0:
            self.send_later(delivery, delay, duplicate=duplicate)
        else:
            await self.deliver(delivery, duplicate=duplicate)
        return [delivery]

    async def send_batch(
        self,
        items: Sequence[Outgoing],
        *,
        disorder: Disorder | None = None,
        url: str | None = None,
    ) -> list[Delivery]:
        """Deliver several webhooks, as disordered as asked (duplicates, shuffles, delays).
        Returns them in the order given, whatever order they went out in."""
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
        mixer = Disorderer(disorder)
        for start in range(0, len(deliveries), mixer.window):
            for delivery in mixer.shuffle(deliveries[start : start + mixer.window]):
                mishap = mixer.mishap()
                if mishap.delay > 0:
                    self.send_later(delivery, mishap.delay, duplicate=mishap.duplicate)
                else:
                    await self.deliver(delivery, duplicate=mishap.duplicate)
        return deliveries

    def send_later(
        self,
        delivery: Delivery,
        delay: float = 0.0,
        *,
        duplicate: bool = False,
        on_give_up: GiveUp | None = None,
    ) -> asyncio.Task[Delivery]:
        """Deliver in the background after `delay` seconds of Shopify time (compressed by the
        config); `drain()` waits for it."""
        self._register(delivery)

        async def run() -> Delivery:
            if delay > 0:
                await asyncio.sleep(self.compressed(delay))
            return await self.deliver(delivery, duplicate=duplicate, on_give_up=on_give_up)

        return self._spawn(run())

    @property
    def pending(self) -> int:
        """Deliveries still waiting for a retry or a requested delay."""
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until every retry and delayed delivery is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_pending(self) -> None:
        """Drop every retry and delayed delivery not yet made (a simulator shutting down does
        not wait out Shopify's four hours)."""
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def attempts(self) -> list[Attempt]:
        return [attempt for delivery in self.deliveries for attempt in delivery.attempts]
