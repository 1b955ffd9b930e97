"""`boomerang simulator`: its webhook compression and token lifetime reach the running simulator."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]
SHOP = "cli-shop.myshopify.com"


@pytest.fixture
def simulator_command(tmp_path: Path) -> Iterator[str]:
    """The command running with Shopify's four hours of retries in one second, tokens that live
    two seconds, and an app URL where nothing listens."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), APP_URL=f"http://127.0.0.1:{free_port()}")
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "app.cli",
            "simulator",
            "--port",
            str(port),
            "--shop",
            "cli-shop",
            "--webhook-compression",
            "14400",
            "--token-lifetime",
            "2",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/_sim/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


async def test_flags_set_the_retry_pace_and_the_token_lifetime(simulator_command: str) -> None:
    base = simulator_command
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        token = (await http.post(f"/_sim/shops/{SHOP}/install", json={})).json()["access_token"]
        query = {"query": "{ shop { name } }"}
        headers = {"X-Shopify-Access-Token": token}
        api = f"/{SHOP}/admin/api/2026-10/graphql.json"
        assert (await http.post(api, json=query, headers=headers)).status_code == 200
        sent = await http.post(
            f"/_sim/shops/{SHOP}/webhooks", json={"topic": "orders/paid", "payload": {"id": 1}}
        )
        (delivery,) = sent.json()["deliveries"]
        assert len(delivery["attempts"]) == 1  # answered at once; retries go on behind
        await asyncio.sleep(2.5)
        (seen,) = (await http.get("/_sim/deliveries")).json()["deliveries"]
        assert [a["number"] for a in seen["attempts"]] == list(range(1, 10))
        assert not seen["delivered"]
        assert (await http.post(api, json=query, headers=headers)).status_code == 401
