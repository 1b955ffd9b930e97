"""Deliver webhooks like Shopify does: signed raw body, Shopify's headers, a webhook id."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from app.scenarios.scheduling import STEP_JOB
from app.settings import Settings
from app.shopify.webhook_verification import sign
from tests.conftest import TEST_API_SECRET
from tests.support.worker import run_worker_burst

SHOP = "boomerang-test.myshopify.com"


def shopify_headers(
    topic: str,
    body: bytes,
    *,
    shop: str = SHOP,
    webhook_id: str | None = None,
    secret: str = TEST_API_SECRET,
    event_id: str | None = None,
    triggered_at: datetime | None = None,
) -> dict[str, str]:
    """`triggered_at` is when Shopify's event happened (X-Shopify-Triggered-At): now unless a
    test replays an earlier event late."""
    triggered = triggered_at or datetime.now(UTC)
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": event_id or str(uuid.uuid4()),
        "X-Shopify-Triggered-At": triggered.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


async def deliver(
    client: httpx.AsyncClient,
    topic: str,
    body: bytes | dict[str, Any],
    **options: Any,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    # Shopify's samples name the shop as "{shop}.myshopify.com"; the receiver compares the
    # shop a compliance or shop body names with X-Shopify-Shop-Domain, as Shopify's match.
    handle = str(options.get("shop", SHOP)).removesuffix(".myshopify.com")
    raw = raw.replace(b"{shop}", handle.encode())
    return await client.post(
        "/webhooks", content=raw, headers=shopify_headers(topic, raw, **options)
    )


async def deliver_and_process(
    client: httpx.AsyncClient,
    settings: Settings,
    topic: str,
    body: bytes | dict[str, Any],
    **options: Any,
) -> None:
    """Deliver one webhook (answered 200), then let a worker process everything queued.

    The scenario steps a delivery starts are run when due now, but not waited for when
    deferred: these tests look at what processing stored, and the shop's abandoned cart, live,
    starts a reminder for each old fixture checkout, whose step reaches for a Shopify these
    tests do not have and is retried 10 and 20 s later (a minute per delivery, waited for)."""
    response = await deliver(client, topic, body, **options)
    assert response.status_code == 200
    await run_worker_burst(settings, not_waiting_for=(STEP_JOB,))


async def all_rows(sessions: async_sessionmaker[AsyncSession], model: Any) -> list[Any]:
    async with sessions.begin() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


async def install_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    domain: str = SHOP,
    uninstalled: bool = False,
) -> int:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        shop_id: int = (
            await session.execute(
                insert(Shop)
                .values(
                    domain=domain,
                    scopes="read_orders",
                    installed_at=now,
                    uninstalled_at=now if uninstalled else None,
                    timezone="UTC",
                    currency="USD",
                    locale="en",
                )
                .returning(Shop.id)
            )
        ).scalar_one()
    return shop_id
