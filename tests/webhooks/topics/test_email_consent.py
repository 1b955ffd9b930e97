"""customers_email_marketing_consent/update through POST /webhooks and the worker: the newest
consent wins, whichever topic and order it arrives in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import deliver_and_process, install_shop

TOPIC = "customers_email_marketing_consent/update"
CUSTOMER = fixture_json("customers/create")


def consent(state: str, at: datetime) -> dict[str, Any]:
    """Shopify's payload for the topic, for the fixtures' customer."""
    return {
        "customer_id": CUSTOMER["id"],
        "email_address": CUSTOMER["email"],
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at.isoformat(),
        },
    }


async def the_customer(sessions: async_sessionmaker[AsyncSession]) -> Customer:
    async with sessions.begin() as session:
        return (await session.execute(select(Customer))).scalar_one()


async def test_an_older_consent_arriving_last_changes_nothing(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    now = datetime.now(UTC)

    await deliver_and_process(client, settings, TOPIC, consent("unsubscribed", now))
    await deliver_and_process(
        client, settings, TOPIC, consent("subscribed", now - timedelta(minutes=5))
    )

    customer = await the_customer(sessions)
    assert (customer.email, customer.email_marketing_state) == (CUSTOMER["email"], "unsubscribed")
    assert customer.email_consent_updated_at == now


async def test_consent_first_then_customers_create_fills_the_customer_in(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """The consent can be the first we hear of a customer: the row it creates does not make
    the full customers/create look stale."""
    await install_shop(sessions)

    await deliver_and_process(
        client, settings, TOPIC, consent("subscribed", datetime(2021, 12, 31, 23, 59, tzinfo=UTC))
    )
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)

    customer = await the_customer(sessions)
    assert (customer.first_name, customer.last_name) == ("John", "Smith")
    assert customer.email_marketing_state == "subscribed"


async def test_customers_update_carrying_an_older_consent_does_not_resubscribe(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """customers/update is a newer version of the customer (its tags apply) but says
    'subscribed' as of 2021: the unsubscribe the consent topic told us since stands."""
    await install_shop(sessions)
    await deliver_and_process(client, settings, TOPIC, consent("unsubscribed", datetime.now(UTC)))

    await deliver_and_process(
        client, settings, "customers/update", fixture_json("customers/update")
    )

    customer = await the_customer(sessions)
    assert customer.tags == ["vip"]
    assert customer.email_marketing_state == "unsubscribed"


async def test_customers_update_without_consent_or_tags_leaves_them_as_they_are(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Since 2025-01 Shopify sends consent and tags on their own topics, not in customers/*."""
    await install_shop(sessions)
    await deliver_and_process(client, settings, "customers/create", {**CUSTOMER, "tags": "vip"})
    update = fixture_json("customers/update")
    del update["email_marketing_consent"], update["tags"]
    update["first_name"] = "Johnny"

    await deliver_and_process(client, settings, "customers/update", update)

    customer = await the_customer(sessions)
    assert customer.first_name == "Johnny"
    assert (customer.tags, customer.email_marketing_state) == (["vip"], "subscribed")
