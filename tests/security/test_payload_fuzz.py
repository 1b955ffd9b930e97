"""The topic handlers on mutated Shopify payloads: whatever a signed body holds, reading it either
works or fails as MalformedPayload (stored as failed, never retried), never with another error
(a TypeError, a database error on a value Postgres cannot hold) that would be retried for
nothing and logged as a crash. Each example runs in a transaction that is rolled back."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.fixtures import fixture_json
from tests.support.shops import create_shop
from webhooks.payloads import MalformedPayload, parse_body
from webhooks.registry import WebhookDelivery, handler_for

SHOP = "fuzz-shop.myshopify.com"
CONSENT_SAMPLE = {
    "customer_id": 706405506930370084,
    "email_address": "bob@example.com",
    "email_marketing_consent": {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2021-12-31T19:00:00-05:00",
    },
}
TOPICS = [
    "checkouts/create",
    "checkouts/update",
    "customers/create",
    "customers/update",
    "orders/create",
    "orders/fulfilled",
    "orders/cancelled",
    "refunds/create",
    "customers/data_request",
    "customers/redact",
    "app/uninstalled",
    "customers_email_marketing_consent/update",
]

# What JSON can carry, with the values that break naive readers: huge and negative numbers,
# NaN and exponents as strings, NUL and other control characters, wrong container types.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**80)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.sampled_from(["", "NaN", "Infinity", "1e400", "-0", "\x00", "2021-13-45T99:00:00Z"])
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """`value` with some of its leaves and branches replaced, dropped or retyped."""
    roll = draw(st.integers(0, 11))
    if roll == 0:
        return draw(JSON_VALUES)
    if isinstance(value, dict):
        return {
            key: draw(mutated(item))
            for key, item in value.items()
            if draw(st.integers(0, 15)) != 0  # now and then a key goes missing
        }
    if isinstance(value, list):
        return [draw(mutated(item)) for item in value]
    return value


def sample(topic: str) -> dict[str, Any]:
    if topic == "customers_email_marketing_consent/update":
        return CONSENT_SAMPLE
    body = json.dumps(fixture_json(topic)).replace("{shop}", SHOP.removesuffix(".myshopify.com"))
    data: dict[str, Any] = json.loads(body)
    return data


async def run_handler(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, topic: str, body: bytes
) -> None:
    """Parse and handle as the worker does, then roll everything back."""
    handler = handler_for(topic)
    assert handler is not None
    payload = parse_body(body.decode())
    delivery = WebhookDelivery(
        event_row_id=0,
        shop_id=shop_id,
        shop_domain=SHOP,
        topic=topic,
        webhook_id="fuzz",
        event_id=None,
        triggered_at=datetime.now(UTC),
        api_version="2026-10",
        payload=payload,
    )
    async with sessions() as session:
        await session.begin()
        try:
            await handler(session, delivery)
            await session.flush()
        finally:
            await session.rollback()


@pytest.fixture
async def shop_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    return (await create_shop(sessions, domain=SHOP)).id


@pytest.mark.parametrize("topic", TOPICS)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_a_mutated_payload_is_handled_or_refused_as_malformed(
    topic: str, data: st.DataObject, sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> None:
    payload = data.draw(mutated(sample(topic)), label="payload")
    body = json.dumps(payload, default=str).encode()
    with contextlib.suppress(MalformedPayload):
        await run_handler(sessions, shop_id, topic, body)
