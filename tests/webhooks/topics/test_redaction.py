"""customers/redact through the real pipeline (POST /webhooks, then the worker): the request's
own stored body forgets the email and phone, and deliveries processed after it (late, stale or
still queued) write nothing personal about the redacted customer back."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Checkout, Customer, Order, ScenarioRun, WebhookEvent
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.shops import create_shop
from tests.support.webhooks import SHOP, all_rows, deliver
from tests.support.worker import run_worker_burst

# The customer Shopify's order, checkout and customer samples are about.
CUSTOMER_ID = fixture_json("customers/update")["id"]
EMAIL = fixture_json("customers/update")["email"]
PHONE = fixture_json("customers/redact")["customer"]["phone"]


def redaction() -> dict[str, Any]:
    """Shopify's customers/redact sample, for the customer of the other samples."""
    payload = copy.deepcopy(fixture_json("customers/redact"))
    payload["shop_domain"] = SHOP
    payload["customer"].update(id=CUSTOMER_ID, email=EMAIL)
    payload["orders_to_redact"] = [fixture_json("orders/create")["id"]]
    return payload


def later_update() -> dict[str, Any]:
    """A customers/update made a minute after the sample one, delivered after the redaction."""
    payload = copy.deepcopy(fixture_json("customers/update"))
    payload["updated_at"] = "2022-01-01T19:01:00-05:00"
    payload["first_name"] = "Johnny"
    return payload


async def process(
    client: httpx.AsyncClient, settings: Settings, *deliveries: str | tuple[str, dict[str, Any]]
) -> None:
    """Deliver each (a topic with Shopify's sample, or a topic and a body), then work."""
    for delivery in deliveries:
        topic, body = delivery if isinstance(delivery, tuple) else (delivery, None)
        if body is None:
            body = redaction() if topic == "customers/redact" else fixture_json(topic)
        assert (await deliver(client, topic, body)).status_code == 200
    await run_worker_burst(settings)


def mentions_the_customer(body: str) -> bool:
    lowered = body.lower()
    return EMAIL in lowered or PHONE in lowered or "jon@example.com" in lowered


async def test_the_redaction_request_forgets_the_email_and_phone_it_carried(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await create_shop(sessions, domain=SHOP)
    await process(client, settings, "customers/update", "customers/redact")

    events = await all_rows(sessions, WebhookEvent)
    assert [e.status for e in events] == ["processed", "processed"]
    assert not any(mentions_the_customer(e.body) for e in events)
    record = json.loads(events[1].body)
    assert record["customer"] == {"id": CUSTOMER_ID}
    assert record["orders_to_redact"] == redaction()["orders_to_redact"]


async def test_deliveries_processed_after_the_redaction_write_nothing_personal_back(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await create_shop(sessions, domain=SHOP)
    await process(client, settings, "customers/update", "orders/create", "customers/redact")
    # Deliveries naming them processed after it: a newer customers/update held up somewhere, a
    # queued checkout, an order update.
    await process(
        client, settings, ("customers/update", later_update()), "checkouts/create", "orders/paid"
    )

    [customer] = await all_rows(sessions, Customer)
    assert customer.shopify_id == CUSTOMER_ID
    assert customer.redacted_at is not None
    assert (customer.email, customer.first_name, customer.last_name) == (None, None, None)
    [order] = await all_rows(sessions, Order)
    assert (order.email, order.browser_ip, order.shipping_address) == (None, None, None)
    assert order.total_price is not None  # the merchant's figures stay
    [checkout] = await all_rows(sessions, Checkout)
    assert checkout.customer_id == customer.id
    assert (checkout.email, checkout.abandoned_checkout_url) == (None, None)
    # Nobody will be reminded of a cart they cannot be reached about.
    assert [r.email for r in await all_rows(sessions, ScenarioRun)] in ([], [None])
    events = await all_rows(sessions, WebhookEvent)
    assert [e.status for e in events] == ["processed"] * 6
    assert not any(mentions_the_customer(e.body) for e in events)


async def test_a_redaction_holds_for_a_customer_we_had_not_stored_yet(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await create_shop(sessions, domain=SHOP)
    await process(client, settings, "customers/redact")
    await process(client, settings, "orders/create", "customers/create")

    [customer] = await all_rows(sessions, Customer)
    assert customer.shopify_id == CUSTOMER_ID
    assert customer.redacted_at is not None
    assert customer.email is None
    [order] = await all_rows(sessions, Order)
    assert (order.email, order.browser_ip, order.shipping_address) == (None, None, None)
    assert not any(mentions_the_customer(e.body) for e in await all_rows(sessions, WebhookEvent))


async def test_a_consent_delivered_after_the_redaction_writes_nothing_back(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await create_shop(sessions, domain=SHOP)
    await process(client, settings, "customers/update", "customers/redact")
    consent = {
        "customer_id": CUSTOMER_ID,
        "email_address": EMAIL,
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": "2030-01-01T00:00:00+00:00",
        },
    }
    await process(client, settings, ("customers_email_marketing_consent/update", consent))

    [customer] = await all_rows(sessions, Customer)
    assert customer.redacted_at is not None
    assert customer.email is None
    assert (
        customer.email_consent_updated_at is None or customer.email_consent_updated_at.year < 2030
    )
    events = await all_rows(sessions, WebhookEvent)
    assert [e.status for e in events] == ["processed"] * 3
    assert not any(mentions_the_customer(e.body) for e in events)
