"""Edge failures on demand: the next N Admin API calls of a shop answer 429, 5xx, lose their
connection or stall, as Shopify's edge sometimes does."""

from __future__ import annotations

import time

import httpx
import pytest

from devstore import SimulatorConfig
from devstore.server import Simulator
from tests.devstore.conftest import API, SHOP

QUERY = {"query": "{ shop { name } }"}


def _headers(token: str) -> dict[str, str]:
    return {"X-Shopify-Access-Token": token}


async def test_control_api_queues_gateway_failures_for_the_next_calls(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    queued = await client.post(f"/_sim/shops/{SHOP}/faults", json={"kind": "503", "count": 2})
    assert queued.status_code == 201
    assert queued.json() == {"pending": 2}
    statuses = [
        (await client.post(API, json=QUERY, headers=_headers(token))).status_code for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    assert (await client.get(f"/_sim/shops/{SHOP}/faults")).json() == {"pending": 0}
    assert [(r.status, r.fault) for r in sim.store.requests] == [
        (503, "503"),
        (503, "503"),
        (200, None),
    ]
    # The edge answered: nothing was charged to the bucket.
    bucket = sim.graphql.bucket(sim.shop(SHOP))
    assert bucket.available == pytest.approx(bucket.maximum - 1, abs=0.5)


async def test_too_many_requests_carries_retry_after(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.inject_faults(SHOP, "429", retry_after=1.5)
    response = await client.post(API, json=QUERY, headers=_headers(token))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1.5"
    assert "Reduce request rates" in response.json()["errors"]


async def test_unknown_fault_and_cleared_faults(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    refused = await client.post(f"/_sim/shops/{SHOP}/faults", json={"kind": "418"})
    assert refused.status_code == 400
    assert "unknown fault" in refused.json()["error"]
    sim.inject_faults(SHOP, "502", count=5)
    assert (await client.delete(f"/_sim/shops/{SHOP}/faults")).json() == {"pending": 0}
    assert (await client.post(API, json=QUERY, headers=_headers(token))).status_code == 200


async def test_dropped_connection_is_a_transport_error_in_process(sim: Simulator) -> None:
    token = sim.install(SHOP).access_token
    sim.inject_faults(SHOP, "drop")
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://sim") as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(API, json=QUERY, headers=_headers(token))
        answered = await client.post(API, json=QUERY, headers=_headers(token))
    assert answered.status_code == 200
    assert [r.fault for r in sim.store.requests] == ["drop", None]


async def test_dropped_connection_on_a_real_socket() -> None:
    sim = Simulator(SimulatorConfig())
    sim.add_shop("sock")
    token = sim.install("sock").access_token
    sim.inject_faults("sock", "drop")
    async with sim.serve() as base_url, httpx.AsyncClient() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post(sim.graphql_url(base_url, "sock"), json=QUERY, headers=_headers(token))
        answered = await http.post(
            sim.graphql_url(base_url, "sock"), json=QUERY, headers=_headers(token)
        )
    assert answered.json()["data"]["shop"]["name"] == "Sock"


async def test_stall_answers_normally_after_the_delay(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.inject_faults(SHOP, "stall", delay=0.2)
    started = time.monotonic()
    response = await client.post(API, json=QUERY, headers=_headers(token))
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2
