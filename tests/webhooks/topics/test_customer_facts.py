"""CustomerCreated and CustomerSubscribed, as the topic handlers say them through POST /webhooks
and the worker: once per customer created, once per change to subscribed, whatever Shopify
redelivers or reorders."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import CustomerCreated, CustomerSubscribed
from app.models import Customer
from app.platform.composition import PLATFORM
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import deliver_and_process, install_shop

CONSENT_TOPIC = "customers_email_marketing_consent/update"
CUSTOMER = fixture_json("customers/create")


class Heard:
    def __init__(self) -> None:
        self.created: list[CustomerCreated] = []
        self.subscribed: list[CustomerSubscribed] = []

    async def on_created(self, _session: AsyncSession, fact: CustomerCreated) -> None:
        self.created.append(fact)

    async def on_subscribed(self, _session: AsyncSession, fact: CustomerSubscribed) -> None:
        self.subscribed.append(fact)


@pytest.fixture
async def heard() -> AsyncIterator[Heard]:
    # The process's own bus (the in-process worker's sessions carry it), heard for a while.
    listener = Heard()
    PLATFORM.facts.subscribe(CustomerCreated, listener.on_created)
    PLATFORM.facts.subscribe(CustomerSubscribed, listener.on_subscribed)
    yield listener
    PLATFORM.facts.unsubscribe(CustomerCreated, listener.on_created)
    PLATFORM.facts.unsubscribe(CustomerSubscribed, listener.on_subscribed)


def customer(*, state: str, updated_at: datetime | None = None) -> dict[str, Any]:
    """The fixture's customer with another consent state (and version)."""
    body = copy.deepcopy(CUSTOMER)
    body["email_marketing_consent"]["state"] = state
    if updated_at is not None:
        body["updated_at"] = updated_at.isoformat()
        body["email_marketing_consent"]["consent_updated_at"] = updated_at.isoformat()
    return body


def consent(state: str, at: datetime) -> dict[str, Any]:
    return {
        "customer_id": CUSTOMER["id"],
        "email_address": CUSTOMER["email"],
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at.isoformat(),
        },
    }


async def signed_up_at(sessions: async_sessionmaker[AsyncSession]) -> datetime | None:
    async with sessions.begin() as session:
        return await session.scalar(select(Customer.signed_up_at))


async def test_customers_create_delivered_three_times_says_created_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    await install_shop(sessions)
    for _ in range(3):  # three deliveries, each with its own webhook id, as Shopify may send
        await deliver_and_process(client, settings, "customers/create", CUSTOMER)

    assert len(heard.created) == 1
    fact = heard.created[0]
    assert (fact.shopify_customer_id, fact.email, fact.email_marketing_state) == (
        CUSTOMER["id"],
        "john@example.com",
        "subscribed",
    )
    assert fact.signed_up_at == datetime(2022, 1, 1, 0, 0, tzinfo=UTC)
    assert await signed_up_at(sessions) == fact.signed_up_at
    assert heard.subscribed == []


async def test_customers_update_alone_is_not_a_creation(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    await install_shop(sessions)
    await deliver_and_process(client, settings, "customers/update", CUSTOMER)

    assert heard.created == []
    assert await signed_up_at(sessions) is None


async def test_a_create_overtaken_by_its_update_still_says_created_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    """The row exists before the create arrives (the newer update made it): being first is
    not being inserted."""
    await install_shop(sessions)
    later = datetime(2022, 1, 2, tzinfo=UTC)
    await deliver_and_process(
        client, settings, "customers/update", customer(state="subscribed", updated_at=later)
    )
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)

    assert [f.shopify_customer_id for f in heard.created] == [CUSTOMER["id"]]


async def test_created_without_consent_then_subscribing_says_subscribed_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    await install_shop(sessions)
    await deliver_and_process(
        client, settings, "customers/create", customer(state="not_subscribed")
    )
    assert [f.email_marketing_state for f in heard.created] == ["not_subscribed"]
    assert heard.subscribed == []

    now = datetime.now(UTC)
    await deliver_and_process(client, settings, CONSENT_TOPIC, consent("subscribed", now))
    # The same consent again, then a newer one that still says subscribed: no new change.
    await deliver_and_process(client, settings, CONSENT_TOPIC, consent("subscribed", now))
    await deliver_and_process(
        client, settings, CONSENT_TOPIC, consent("subscribed", now + timedelta(seconds=5))
    )

    assert len(heard.subscribed) == 1
    assert heard.subscribed[0].subscribed_at == now
    assert len(heard.created) == 1


async def test_customers_update_that_subscribes_says_subscribed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    await install_shop(sessions)
    await deliver_and_process(
        client, settings, "customers/create", customer(state="not_subscribed")
    )
    later = datetime(2022, 2, 1, tzinfo=UTC)
    await deliver_and_process(
        client, settings, "customers/update", customer(state="subscribed", updated_at=later)
    )
    await deliver_and_process(
        client, settings, "customers/update", customer(state="subscribed", updated_at=later)
    )

    assert [f.subscribed_at for f in heard.subscribed] == [later]


async def test_a_redacted_customer_is_never_created_again(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    await install_shop(sessions)
    await deliver_and_process(client, settings, "customers/update", CUSTOMER)
    async with sessions.begin() as session:
        row = (await session.execute(select(Customer))).scalar_one()
        row.redacted_at = datetime.now(UTC)
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)

    assert heard.created == []
    assert await signed_up_at(sessions) is None


async def test_a_create_after_the_consent_made_the_row_says_created_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    heard: Heard,
) -> None:
    """The consent topic can be the first we hear of a customer (an unversioned row): the
    customers/create that follows still says the customer was created, once."""
    await install_shop(sessions)
    await deliver_and_process(
        client, settings, CONSENT_TOPIC, consent("subscribed", datetime(2021, 12, 31, tzinfo=UTC))
    )
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)

    assert [f.email_marketing_state for f in heard.created] == ["subscribed"]
    assert await signed_up_at(sessions) == heard.created[0].signed_up_at
