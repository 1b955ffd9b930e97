"""Signed bodies holding values our tables cannot: each is either stored cleaned or failed as
malformed at once (never retried as if the database were down). Found by
tests/security/test_payload_fuzz.py; one example each here."""

from __future__ import annotations

import json

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import all_rows, deliver, install_shop
from tests.support.worker import run_worker_burst


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
