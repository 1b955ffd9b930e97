"""Signed bodies holding values our tables cannot: each is either stored cleaned or failed as
malformed at once (never retried as if the database were down). Found by
tests/security/test_payload_fuzz.py; one example each here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.shops import create_shop
from tests.support.webhooks import all_rows, deliver, install_shop
from tests.support.worker import run_worker_burst
from webhooks.payloads import MalformedPayload
from webhooks.registry import WebhookDelivery, handler_for


async def test_an_escaped_nul_is_stored_as_a_replacement_character(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    customer = {**fixture_json("customers/update"), "first_name": "Bob\u0000", "tags": "\u0000"}
    body = json.dumps(customer).encode()
    assert b"\\u0000" in body

    await deliver(client, "customers/update", body)
    await run_worker_burst(settings)

    [event] = await all_rows(sessions, WebhookEvent)
    assert (event.status, event.attempts) == ("processed", 0)
    [stored] = await all_rows(sessions, Customer)
    assert stored.first_name == "Bob\ufffd"
    assert stored.tags == ["\ufffd"]


async def failed_as_malformed(sessions: async_sessionmaker[AsyncSession]) -> str:
    [event] = await all_rows(sessions, WebhookEvent)
    assert (event.status, event.attempts) == ("failed", 1)
    assert event.last_error is not None
    assert event.last_error.startswith("malformed payload")
    return event.last_error


async def test_an_id_beyond_64_bits_fails_as_malformed_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    order = {**fixture_json("orders/create"), "id": 2**63}

    await deliver(client, "orders/create", order)
    await run_worker_burst(settings)

    assert "64-bit" in await failed_as_malformed(sessions)


async def test_an_amount_beyond_our_columns_fails_as_malformed_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    order = {**fixture_json("orders/create"), "total_price": "1e20"}

    await deliver(client, "orders/create", order)
    await run_worker_burst(settings)

    assert "1e20" in await failed_as_malformed(sessions)


async def test_a_customer_count_of_the_wrong_type_fails_as_malformed_once(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    customer = {**fixture_json("customers/create"), "orders_count": [1]}

    await deliver(client, "customers/create", customer)
    await run_worker_burst(settings)

    await failed_as_malformed(sessions)


@pytest.mark.parametrize(
    ("topic", "field", "value"),
    [
        ("customers/redact", "customer", True),
        ("customers/redact", "orders_to_redact", 1),
        ("customers/data_request", "data_request", "9999"),
        ("customers/data_request", "customer", {"id": 191167, "email": 1}),
    ],
)
async def test_a_compliance_request_of_the_wrong_shape_is_malformed(
    topic: str, field: str, value: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Not a crash, and not silently "nobody to redact": MalformedPayload, which a compliance
    topic keeps retrying and reports as an error until a fix reads it."""
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    payload = {**fixture_json(topic), "shop_domain": shop.domain, field: value}
    handler = handler_for(topic)
    assert handler is not None
    delivery = WebhookDelivery(
        event_row_id=0,
        shop_id=shop.id,
        shop_domain=shop.domain,
        topic=topic,
        webhook_id="w-1",
        event_id=None,
        triggered_at=datetime.now(UTC),
        api_version="2026-10",
        payload=payload,
    )
    with pytest.raises(MalformedPayload):
        async with sessions.begin() as session:
            await handler(session, delivery)
