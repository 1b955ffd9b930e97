"""The sign-up bonus follows CustomerCreated through POST /webhooks and the worker: an account
created with marketing consent earns it once, however often Shopify delivers the creation; an
account created without consent earns nothing."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from tests.app.loyalty.conftest import configure, position
from tests.support.fixtures import fixture_json
from tests.support.webhooks import deliver_and_process

CUSTOMER = fixture_json("customers/create")


def customer(*, shopify_id: int, email: str, state: str) -> dict[str, Any]:
    body = copy.deepcopy(CUSTOMER)
    body["id"] = shopify_id
    body["email"] = email
    body["email_marketing_consent"]["state"] = state
    return body


async def test_an_account_created_with_consent_earns_the_sign_up_bonus_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await configure(sessions, program, signup={"enabled": True, "points": 150})
    consenting = customer(shopify_id=9101, email="ines@example.com", state="subscribed")
    silent = customer(shopify_id=9102, email="noel@example.com", state="not_subscribed")
    for _ in range(3):  # each delivery its own webhook id, as Shopify may send
        await deliver_and_process(client, settings, "customers/create", consenting)
    await deliver_and_process(client, settings, "customers/create", silent)

    found = await position(sessions, program, 9101)
    assert found.entries == [("bonus", "signup", 150)]
    assert found.cached_balance == 150
    assert (await position(sessions, program, 9102)).entries == []


async def test_no_bonus_while_the_rule_is_off(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    consenting = customer(shopify_id=9103, email="rui@example.com", state="subscribed")
    await deliver_and_process(client, settings, "customers/create", consenting)
    assert (await position(sessions, program, 9103)).entries == []
