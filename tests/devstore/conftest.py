"""Fixtures for the simulator's tests: a simulator on a manual clock and an HTTP client into it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from devstore import SimulatorConfig, create_simulator
from devstore.clock import ManualClock
from devstore.server import Simulator

SHOP = "demo.myshopify.com"
API = f"/{SHOP}/admin/api/2026-10/graphql.json"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config() -> SimulatorConfig:
    return SimulatorConfig(app_url="https://app.example.com", webhook_time_compression=100_000.0)


@pytest.fixture
async def sim_and_client(
    config: SimulatorConfig, clock: ManualClock
) -> AsyncIterator[tuple[Simulator, httpx.AsyncClient]]:
    app, sim = create_simulator(config, clock=clock)
    sim.add_shop(SHOP)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://devstore") as client:
        yield sim, client
    await sim.webhooks.aclose()


@pytest.fixture
def sim(sim_and_client: tuple[Simulator, httpx.AsyncClient]) -> Simulator:
    return sim_and_client[0]


@pytest.fixture
def client(sim_and_client: tuple[Simulator, httpx.AsyncClient]) -> httpx.AsyncClient:
    return sim_and_client[1]


@pytest.fixture
def token(sim: Simulator) -> str:
    return sim.install(SHOP).access_token


class Receiver:
    """A stand-in app behind httpx.MockTransport: records requests, fails the first `failures`
    of them (500), and always fails those for which `refuse(request)` is true."""

    def __init__(
        self, failures: int = 0, refuse: Callable[[httpx.Request], bool] | None = None
    ) -> None:
        self.failures = failures
        self.refuse = refuse
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) <= self.failures or (self.refuse and self.refuse(request)):
            return httpx.Response(500)
        return httpx.Response(200)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def topics(self) -> list[str]:
        return [r.headers["X-Shopify-Topic"] for r in self.requests]


@pytest.fixture
async def wired(
    clock: ManualClock,
) -> AsyncIterator[tuple[Simulator, httpx.AsyncClient, Receiver]]:
    """An installed shop whose webhooks land in a Receiver; the control API over ASGI."""
    receiver = Receiver()
    config = SimulatorConfig(app_url="https://app.example.com", webhook_time_compression=1e6)
    app, sim = create_simulator(config, clock=clock, webhook_transport=receiver.transport())
    sim.add_shop(SHOP)
    sim.install(SHOP)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://devstore") as client:
        yield sim, client, receiver
    await sim.webhooks.aclose()


async def gql(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post(
        API,
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": token},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
