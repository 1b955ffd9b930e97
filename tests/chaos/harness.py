"""The chaos run's world: the Shopify simulator in this process (on loopback), a real SMTP
server (aiosmtpd) that notes when each message arrived, the app (`boomerang serve --workers 2`)
and the worker as real processes, on a PostgreSQL and a Redis this test owns; seeded traffic
for several shops with deliveries duplicated, held back (so they arrive out of order) and
dropped; and the faults, each one logged with the time it happened."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from app.platform.children import child_environment
from devstore.disorder import Disorder, Disorderer
from devstore.server import Simulator
from devstore.traffic import TrafficEvent, TrafficGenerator, TrafficSettings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.processes import AppProcess, OwnPostgres, OwnRedis
from tests.support.services import free_port


@dataclass(frozen=True)
class Received:
    """One message the SMTP server accepted."""

    at: datetime
    to: tuple[str, ...]
    message_id: str
    subject: str


@dataclass
class SmtpInbox:
    """Keeps every accepted message with the wall-clock time it arrived."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(
            Received(
                at=datetime.now(UTC),
                to=tuple(envelope.rcpt_tos),
                message_id=str(parsed.get("Message-ID", "")).strip(),
                subject=str(parsed.get("Subject", "")),
            )
        )
        return "250 2.0.0 Ok: queued"


@dataclass
class FaultLog:
    """What was done to the system, and when (seconds since the traffic began)."""

    started: float = field(default_factory=time.monotonic)
    entries: list[tuple[float, str]] = field(default_factory=list)

    def note(self, what: str) -> None:
        self.entries.append((time.monotonic() - self.started, what))
        print(f"  [{time.monotonic() - self.started:6.1f} s] {what}", flush=True)  # noqa: T201


@dataclass
class Dropped:
    shop: str
    event: TrafficEvent


@dataclass
class ShopTraffic:
    """One shop's seeded day and what became of each event on its way out."""

    shop: str
    events: list[TrafficEvent]
    dropped: list[Dropped] = field(default_factory=list)
    emitted: int = 0
    duplicated: int = 0
    held_back: int = 0


def app_environment(
    *, app_url: str, sim_url: str, database_url: str, redis_url: str, smtp_port: int, data: Path
) -> dict[str, str]:
    env = child_environment(
        {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_", "TOKEN_", "APP_", "SMTP_"))
        }
    )
    env.update(
        SHOPIFY_API_KEY=TEST_API_KEY,
        SHOPIFY_API_SECRET=TEST_API_SECRET,
        TOKEN_ENCRYPTION_KEYS=TEST_FERNET_KEY,
        APP_URL=app_url,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SHOPIFY_ADMIN_URL_TEMPLATE=f"{sim_url}/{{shop}}",
        SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        DATA_DIR=str(data),
        LOG_LEVEL="WARNING",
        # The day is replayed with its simulated times, a day ago.
        WEBHOOK_MAX_AGE_SECONDS="0",
        # Not the default 8001, which another test's worker (the demo's) may hold.
        WORKER_METRICS_PORT="0",
    )
    return env


@dataclass
class World:
    tmp: Path
    sim: Simulator
    postgres: OwnPostgres
    redis: OwnRedis
    smtp: SmtpInbox
    web: AppProcess
    worker: AppProcess
    app_url: str
    sim_url: str
    faults: FaultLog = field(default_factory=FaultLog)
    _smtp_controller: Controller | None = None

    async def wait_ready(self, seconds: float = 60) -> None:
        async with httpx.AsyncClient() as client, asyncio.timeout(seconds):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.app_url}/readyz", timeout=1)).status_code == 200:
                        return
                await asyncio.sleep(0.2)

    def start_smtp(self) -> None:
        self._smtp_controller = Controller(self.smtp, hostname="127.0.0.1", port=self.smtp.port)
        self._smtp_controller.start()

    def stop_all(self) -> None:
        """Everything this run started, each guarded so one failure stops the others too."""
        for stop in (
            self.worker.stop,
            self.web.stop,
            self._stop_smtp,
            self.redis.stop,
            self.postgres.close,
        ):
            with contextlib.suppress(Exception):
                stop()

    def _stop_smtp(self) -> None:
        if self._smtp_controller is not None:
            self._smtp_controller.stop()
            self._smtp_controller = None


async def install(client: httpx.AsyncClient, app_url: str, domain: str) -> None:
    """The merchant's install through the real OAuth redirects between the two servers."""
    url = f"{app_url}/auth?shop={domain}"
    for _ in range(6):
        response = await client.get(url)
        if response.status_code not in (301, 302, 303, 307):
            raise RuntimeError(f"install stopped at {url}: {response.status_code} {response.text}")
        url = response.headers["location"]
        if not url.startswith(("http://127.0.0.1", "/")):
            return
        if url.startswith("/"):
            url = app_url + url
    raise RuntimeError("install redirected too many times")


async def configure(client: httpx.AsyncClient, app_url: str, token: str) -> None:
    """Cart reminders and the welcome series on, in seconds, no quiet hours, a generous cap."""
    headers = {"Authorization": f"Bearer {token}"}
    for path, body in (
        (
            "/api/scenarios/abandoned_cart",
            {
                # A new install starts with every scenario off: turned on as a merchant would.
                "mode": "live",
                "steps": [
                    {"delay_seconds": 2},
                    {"delay_seconds": 6},
                    {"delay_seconds": 12, "enabled": True},
                ],
            },
        ),
        (
            "/api/messaging/settings",
            {
                "paused": False,
                "max_per_day": 5,
                "max_per_week": 10,
                "quiet_start": "00:00:00",
                "quiet_end": "00:00:00",
            },
        ),
        (
            "/api/scenarios/welcome",
            {
                "mode": "live",
                "steps": [{"delay_seconds": 0}, {"delay_seconds": 4}, {"delay_seconds": 8}],
            },
        ),
    ):
        response = await client.put(f"{app_url}{path}", headers=headers, json=body)
        if response.status_code >= 400:
            raise RuntimeError(f"PUT {path}: {response.status_code} {response.text}")


def seeded_day(sim: Simulator, shop: str, seed: int, sessions_per_day: float) -> ShopTraffic:
    settings = TrafficSettings(
        seed=seed,
        days=1.0,
        start=datetime.now(UTC) - timedelta(days=1),
        sessions_per_day=sessions_per_day,
        signups_per_day=8.0,
        lapsed_customers=3,
        recover_rate=0.3,
        recover_with_code_rate=0.0,
    )
    events = list(TrafficGenerator(sim.storefront, sim.shop(shop), settings).events())
    return ShopTraffic(shop, events)


async def drive(
    sim: Simulator,
    traffic: ShopTraffic,
    *,
    seconds: float,
    seed: int,
    duplicate_rate: float,
    reorder_rate: float,
    drop_rate: float,
    max_hold: float,
) -> None:
    """Deliver the shop's day over `seconds` of wall time, keeping the events' spacing. A
    seeded share is posted twice (same X-Shopify-Webhook-Id), held back by up to `max_hold`
    seconds of Shopify time (so later events overtake it), or lost on its way (the shop and
    its Admin API have the change; the app never hears of it)."""
    if not traffic.events:
        return
    mixer = Disorderer(
        Disorder(
            seed=seed,
            duplicate_rate=duplicate_rate,
            delay_rate=reorder_rate,
            max_delay=max_hold,
            drop_rate=drop_rate,
        )
    )
    first = traffic.events[0].at
    span = max(1.0, (traffic.events[-1].at - first).total_seconds())
    began = time.monotonic()
    for event in traffic.events:
        due = began + (event.at - first).total_seconds() / span * seconds
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        mishap = mixer.mishap()
        if mishap.drop:
            traffic.dropped.append(Dropped(traffic.shop, event))
        else:
            traffic.emitted += 1
            traffic.duplicated += mishap.duplicate
            traffic.held_back += mishap.delay > 0
        # A dropped delivery is lost on its way: the shop has the change, the app never hears.
        await sim.emit(
            traffic.shop,
            event.topic,
            event.payload,
            at=event.at,
            duplicate=mishap.duplicate,
            delay=mishap.delay,
            drop=mishap.drop,
        )


def exhaust_bucket(sim: Simulator, shop: str) -> None:
    """Spend every point of the shop's GraphQL bucket, as a burst of other calls would: the
    app's next calls are answered THROTTLED until it refills."""
    bucket = sim.graphql.bucket(sim.shop(shop))
    bucket.try_take(bucket.available)


async def throttle_burst(sim: Simulator, shops: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for shop in shops:
            exhaust_bucket(sim, shop)
        await asyncio.sleep(0.2)


def after(delay: float, action: Callable[[], Any]) -> Any:
    async def later() -> Any:
        await asyncio.sleep(delay)
        result = action()
        if asyncio.iscoroutine(result):
            return await result
        return result

    return later()
