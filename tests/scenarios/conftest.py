"""Abandoned-cart tests end to end: Shopify is the simulator (in-process), webhooks go in over
HTTP signed like Shopify signs them, the worker's jobs run for real in burst mode over the test
Redis, and emails arrive at a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.models import Message, ScenarioRun, Shop, TimelineEntry
from app.settings import Settings
from devstore import SimulatorConfig, create_simulator
from devstore.server import Simulator
from tests.conftest import TEST_API_KEY, TEST_API_SECRET
from tests.messaging.conftest import Inbox, inbox  # noqa: F401  (fixture)
from tests.support.fixtures import fixture_json
from tests.support.sending import send_at_any_hour
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.support.webhooks import deliver
from tests.support.worker import run_worker_burst

SHOP = "acme.myshopify.com"


@pytest.fixture
def simulator() -> tuple[Any, Simulator]:
    config = SimulatorConfig(api_key=TEST_API_KEY, api_secret=TEST_API_SECRET)
    config.bulk_code_creation_delay = 0.0
    sim_app, sim = create_simulator(config)
    sim.add_shop("acme", currency="EUR", iana_timezone="UTC", shop_name="Acme")
    return sim_app, sim


@pytest.fixture
def sim(simulator: tuple[Any, Simulator]) -> Simulator:
    return simulator[1]


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:  # noqa: F811
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "email_from": "Acme <shop@acme.test>",
            "shopify_admin_url_template": "http://sim/{shop}",
        }
    )


@pytest.fixture
async def app(settings: Settings, simulator: tuple[Any, Simulator]) -> AsyncIterator[FastAPI]:
    application = create_app(settings, http_transport=httpx.ASGITransport(app=simulator[0]))
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class Store:
    """The installed shop, from both sides: our row and the simulator's."""

    shop: Shop
    sim: Simulator
    client: httpx.AsyncClient
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    shopify: httpx.AsyncBaseTransport

    @property
    def headers(self) -> dict[str, str]:
        return bearer(mint_session_token(SHOP))

    async def configure(self, **patch: Any) -> dict[str, Any]:
        response = await self.client.put(
            "/api/scenarios/abandoned_cart", headers=self.headers, json=patch
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def run(self, token: str) -> ScenarioRun | None:
        """The run of the checkout `token`, as stored now."""
        async with self.sessions.begin() as session:
            result: ScenarioRun | None = await session.scalar(
                select(ScenarioRun).where(ScenarioRun.subject_key == token)
            )
            return result

    async def timeline(self) -> list[tuple[str, int | None, str]]:
        """Every timeline entry as (kind, step, reason), oldest first."""
        async with self.sessions.begin() as session:
            rows = await session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))
            return [(e.kind, e.step, e.reason) for e in rows]

    async def messages(self) -> list[Message]:
        async with self.sessions.begin() as session:
            return list(await session.scalars(select(Message).order_by(Message.step)))

    async def running_sequence(
        self, email: str, delays: tuple[int, int, int]
    ) -> tuple[dict[str, Any], dict[str, Any], asyncio.Task[None]]:
        """A subscribed customer with an abandoned checkout whose run has started, the worker
        running in the background (await the task to let the rest of the sequence play)."""
        customer = self.customer_payload(email=email)
        await self.deliver("customers/create", customer)
        await self.configure(steps=[{"delay_seconds": delay} for delay in delays])
        checkout = self.checkout_payload(customer)
        await self.deliver("checkouts/create", checkout)
        worker = asyncio.create_task(self.work())
        async with asyncio.timeout(10):
            while await self.run(checkout["token"]) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        return customer, checkout, worker

    async def until_steps_due(self) -> None:
        """Until the next step of every active run is due, by the runs' own times."""
        async with self.sessions.begin() as session:
            latest = await session.scalar(
                select(func.max(ScenarioRun.next_step_at)).where(ScenarioRun.status == "active")
            )
        assert latest is not None, "no run waits for a step"
        await asyncio.sleep(max(0.0, (latest - datetime.now(UTC)).total_seconds()) + 0.1)

    async def deliver(self, topic: str, payload: dict[str, Any], **options: Any) -> None:
        response = await deliver(self.client, topic, payload, shop=SHOP, **options)
        assert response.status_code == 200, response.text

    async def work(self, horizon: float = 20.0) -> None:
        """Run every queued job due within `horizon` seconds (deferred ones included) and
        their follow-ups, until none is left."""
        await run_worker_burst(self.settings, http_transport=self.shopify, horizon=horizon)

    def customer_payload(
        self, *, email: str, first_name: str = "Camille", consent: str = "subscribed"
    ) -> dict[str, Any]:
        simulated = self.sim.add_customer(
            SHOP, email, first_name=first_name, accepts_marketing=consent == "subscribed"
        )
        payload = copy.deepcopy(fixture_json("customers/create"))
        now = _iso(datetime.now(UTC))
        payload.update(
            id=simulated.id,
            email=email,
            first_name=first_name,
            updated_at=now,
            created_at=now,
            admin_graphql_api_id=simulated.gid,
        )
        payload["email_marketing_consent"]["state"] = consent
        return payload

    def checkout_payload(
        self,
        customer: dict[str, Any],
        *,
        token: str | None = None,
        updated_at: datetime | None = None,
        items: int = 1,
        completed: bool = False,
    ) -> dict[str, Any]:
        payload = copy.deepcopy(fixture_json("checkouts/create"))
        when = _iso(updated_at or datetime.now(UTC))
        token = token or uuid.uuid4().hex
        payload.update(
            id=int(uuid.uuid4().int % 10**12),
            token=token,
            cart_token=uuid.uuid4().hex,
            email=customer["email"],
            updated_at=when,
            created_at=when,
            completed_at=when if completed else None,
            abandoned_checkout_url=f"https://{SHOP}/checkouts/{token}/recover?key=k{token[:6]}",
        )
        payload["customer"] = {**payload["customer"], **customer}
        payload["line_items"] = payload["line_items"][:items] if items else []
        return payload

    def order_payload(
        self,
        customer: dict[str, Any],
        *,
        checkout_token: str | None,
        codes: list[str] | None = None,
        placed_at: datetime | None = None,
    ) -> dict[str, Any]:
        payload = copy.deepcopy(fixture_json("orders/create"))
        now = _iso(placed_at or datetime.now(UTC))
        payload.update(
            id=int(uuid.uuid4().int % 10**12),
            checkout_token=checkout_token,
            email=customer["email"],
            created_at=now,
            updated_at=now,
            processed_at=now,
            total_price="199.00",
            discount_codes=[
                {"code": code, "amount": "19.90", "type": "percentage"} for code in codes or []
            ],
        )
        payload["customer"] = {**payload["customer"], **customer}
        return payload


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll: the condition is another task's doing (the worker's SMTP deliveries)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def text_part(message: object) -> str:
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_part(message: object) -> str:
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def store(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    simulator: tuple[Any, Simulator],
) -> Store:
    sim = simulator[1]
    tokens = sim.install("acme")
    shop = await create_shop(sessions, domain=SHOP, access_token=tokens.access_token)
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.name, row.currency, row.timezone = "Acme", "EUR", "UTC"
        # The tests run at any hour and send several reminders within seconds.
        await send_at_any_hour(session, shop.id, max_per_day=50, max_per_week=50)
    harness = Store(shop, sim, client, settings, sessions, httpx.ASGITransport(app=simulator[0]))
    await harness.configure(
        steps=[
            {"delay_seconds": 1},
            {"delay_seconds": 2},
            {"delay_seconds": 3, "enabled": True},
        ]
    )
    return harness


def money(value: str) -> Decimal:
    return Decimal(value)


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
