"""Fixtures for the simulator's tests: a simulator on a manual clock and an HTTP client into it."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
