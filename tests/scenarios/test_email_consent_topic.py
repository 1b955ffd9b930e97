"""Consent changes arriving on their own topic (customers_email_marketing_consent/update) reach
the abandoned-cart sequences like a customers/update does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.models import Customer
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.scenarios.test_abandoned_cart import _run, _running_sequence


async def test_unsubscribe_on_the_consent_topic_stops_the_sequence(
    store: Store, inbox: Inbox
) -> None:
    customer, checkout, worker = await _running_sequence(store, "jade@example.test", (2, 3, 4))
    # Shopify's payload for this topic: the customer's id and address, and the new consent.
    await store.deliver(
        "customers_email_marketing_consent/update",
        {
            "customer_id": customer["id"],
            "email_address": customer["email"],
            "email_marketing_consent": {
                "state": "unsubscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
            },
        },
    )
    await worker

    assert inbox.messages == []
    run = await _run(store, checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "customer_unsubscribed")
    async with store.sessions.begin() as session:
        state = await session.scalar(
            select(Customer.email_marketing_state).where(Customer.shopify_id == customer["id"])
        )
    assert state == "unsubscribed"
