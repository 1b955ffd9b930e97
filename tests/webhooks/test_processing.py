"""Processing stored events: normalization into our tables, newest wins, facts handed to the
scenario engine, malformed bodies, retries with backoff, failed events replayed by the admin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import (
    CheckoutChanged,
    CustomerChanged,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    RefundCreated,
)
from app.platform.composition import PLATFORM
from app.platform.resources import Resources, build_resources
from app.queue import RetryJob
from app.settings import Settings
from jobs.webhook_events import process_webhook_event
from tests.support.fixtures import fixture_bytes, fixture_json
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.support.webhooks import SHOP, all_rows, deliver, deliver_and_process
from tests.support.worker import job_context, run_worker_burst
from webhooks.processing import MAX_ATTEMPTS

from app.models import (  # isort: skip
    Checkout,
    Customer,
    Fulfillment,
    Order,
    OrderDiscountCode,
    OrderLineItem,
    Refund,
    WebhookEvent,
)

FACT_TYPES = (
    CheckoutChanged,
    CustomerChanged,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    RefundCreated,
)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    built = await build_resources(settings)
    yield built
    await built.close()


@pytest.fixture
def facts() -> Iterator[list[Any]]:
    """Every fact published while the test runs."""
    seen: list[Any] = []

    async def record(session: AsyncSession, fact: Any) -> None:
        seen.append(fact)

    for fact_type in FACT_TYPES:
        PLATFORM.facts.subscribe(fact_type, record)
    yield seen
    for fact_type in FACT_TYPES:
        PLATFORM.facts.unsubscribe(fact_type, record)


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> int:
    return (await create_shop(sessions, domain=SHOP)).id


async def latest_event(sessions: async_sessionmaker[AsyncSession]) -> WebhookEvent:
    return (await all_rows(sessions, WebhookEvent))[-1]


async def test_order_is_normalized_with_money_as_decimal(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    await deliver_and_process(client, settings, "orders/create", fixture_bytes("orders/create"))

    [order] = await all_rows(sessions, Order)
    assert order.shopify_id == 820982911946154508
    assert (order.total_price, order.subtotal_price, order.total_discounts) == (
        Decimal("388.00"),
        Decimal("388.00"),
        Decimal("20.00"),
    )
    assert order.currency == "USD"
    lines = await all_rows(sessions, OrderLineItem)
    assert [(li.title, li.quantity, li.price) for li in lines] == [
        (li["title"], li["quantity"], Decimal(li["price"]))
        for li in fixture_json("orders/create")["line_items"]
    ]
    [customer] = await all_rows(sessions, Customer)
    assert order.customer_id == customer.id
    [placed] = facts
    assert isinstance(placed, OrderPlaced)
    assert (placed.shop_id, placed.order_id, placed.total_price) == (
        shop,
        order.id,
        Decimal("388.00"),
    )


async def test_fulfillment_cancellation_and_refund_follow_the_order(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    for topic in ("orders/create", "orders/fulfilled", "orders/cancelled", "refunds/create"):
        await deliver_and_process(client, settings, topic, fixture_bytes(topic))

    [order] = await all_rows(sessions, Order)
    assert order.cancelled_at is not None
    [fulfillment] = await all_rows(sessions, Fulfillment)
    assert (fulfillment.shopify_id, fulfillment.tracking_company) == (123456, "UPS")
    [refund] = await all_rows(sessions, Refund)
    assert (refund.amount, refund.currency) == (Decimal("199.00"), "USD")
    assert refund.line_items[0]["subtotal"] == "199.00"  # subtotal_set.shop_money
    assert [type(f) for f in facts] == [OrderPlaced, OrderFulfilled, OrderCancelled, RefundCreated]
    assert isinstance(facts[-1], RefundCreated)
    assert facts[-1].order_id == order.id


def paid_in_euros(refund: dict[str, Any], euros: str) -> dict[str, Any]:
    """The refunds/create fixture for a USD shop's order the customer paid in EUR: the
    transaction and every presentment_money in EUR, shop_money left in USD."""
    line = refund["refund_line_items"][0]
    line["subtotal_set"]["presentment_money"] = {"amount": euros, "currency_code": "EUR"}
    line["total_tax_set"]["presentment_money"]["currency_code"] = "EUR"
    transaction = refund["transactions"][0]
    transaction.update(amount=euros, currency="EUR")
    transaction["total_unsettled_set"]["presentment_money"]["currency_code"] = "EUR"
    return refund


async def test_refund_of_a_multi_currency_order_is_recorded_in_shop_money(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    refund = paid_in_euros(fixture_json("refunds/create"), "180.00")

    await deliver_and_process(client, settings, "refunds/create", refund)

    [stored] = await all_rows(sessions, Refund)
    assert (stored.amount, stored.currency) == (Decimal("199.00"), "USD")
    [fact] = [f for f in facts if isinstance(f, RefundCreated)]
    assert (fact.amount, fact.currency) == (Decimal("199.00"), "USD")


async def test_goodwill_refund_of_a_multi_currency_order_counts_its_adjustment(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    """Money back with no line item: Shopify books it as a negative refund_discrepancy."""
    refund = paid_in_euros(fixture_json("refunds/create"), "9.05")
    refund["refund_line_items"] = []
    refund["order_adjustments"] = [
        {
            "id": 1,
            "order_id": refund["order_id"],
            "refund_id": refund["id"],
            "amount": "-9.05",
            "tax_amount": "0.00",
            "kind": "refund_discrepancy",
            "reason": "Refund discrepancy",
            "amount_set": {
                "shop_money": {"amount": "-10.00", "currency_code": "USD"},
                "presentment_money": {"amount": "-9.05", "currency_code": "EUR"},
            },
            "tax_amount_set": {
                "shop_money": {"amount": "0.00", "currency_code": "USD"},
                "presentment_money": {"amount": "0.00", "currency_code": "EUR"},
            },
        }
    ]

    await deliver_and_process(client, settings, "refunds/create", refund)

    [stored] = await all_rows(sessions, Refund)
    assert (stored.amount, stored.currency) == (Decimal("10.00"), "USD")


async def test_stale_checkout_update_arriving_last_loses(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    newer = fixture_json("checkouts/update")
    newer["email"] = "newer@example.com"
    older = fixture_json("checkouts/create")  # same token, earlier updated_at
    older["email"] = "older@example.com"

    await deliver_and_process(client, settings, "checkouts/update", newer)
    await deliver_and_process(client, settings, "checkouts/create", older)

    [checkout] = await all_rows(sessions, Checkout)
    assert checkout.email == "newer@example.com"
    assert checkout.total_price == Decimal("398.00")
    assert [f.email for f in facts if isinstance(f, CheckoutChanged)] == ["newer@example.com"]
    assert {e.status for e in await all_rows(sessions, WebhookEvent)} == {"processed"}


async def test_stale_customer_update_arriving_last_loses(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    await deliver_and_process(
        client, settings, "customers/update", fixture_bytes("customers/update")
    )
    await deliver_and_process(
        client, settings, "customers/create", fixture_bytes("customers/create")
    )

    [customer] = await all_rows(sessions, Customer)
    assert customer.tags == ["vip"]
    assert customer.email_marketing_state == "subscribed"


async def test_customer_create_after_its_copy_embedded_in_an_order_still_applies(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    """The fixtures as Shopify sends them: the order's embedded customer and customers/create
    carry the same updated_at (2021-12-31T19:00:00-05:00). The embedded copy must not make
    the full payload look stale."""
    await deliver_and_process(client, settings, "orders/create", fixture_bytes("orders/create"))
    [embedded] = await all_rows(sessions, Customer)
    assert embedded.shopify_updated_at is None

    await deliver_and_process(
        client, settings, "customers/create", fixture_bytes("customers/create")
    )

    [customer] = await all_rows(sessions, Customer)
    assert customer.id == embedded.id
    assert customer.shopify_updated_at == datetime.fromisoformat("2021-12-31T19:00:00-05:00")
    changed = [f for f in facts if isinstance(f, CustomerChanged)]
    assert [(f.customer_id, f.email_marketing_state) for f in changed] == [
        (customer.id, "subscribed")
    ]


async def test_customer_updates_in_the_same_second_follow_their_trigger_order(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    """Two customers/update stamped with the same second, delivered in reverse: the one
    Shopify triggered later wins, whichever arrives last."""
    first, second = fixture_json("customers/update"), fixture_json("customers/update")
    first["tags"], second["tags"] = "first", "second"
    at = datetime.now(UTC)

    await deliver_and_process(
        client, settings, "customers/update", second, triggered_at=at + timedelta(seconds=1)
    )
    await deliver_and_process(client, settings, "customers/update", first, triggered_at=at)

    [customer] = await all_rows(sessions, Customer)
    assert customer.tags == ["second"]


def completed(checkout: dict[str, Any]) -> dict[str, Any]:
    """The checkouts/update that completes the cart, stamped with the same second."""
    return {**checkout, "completed_at": checkout["updated_at"]}


async def test_checkout_completion_in_the_same_second_as_the_last_update_applies(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    update = fixture_json("checkouts/update")
    at = datetime.now(UTC)

    await deliver_and_process(client, settings, "checkouts/update", update, triggered_at=at)
    await deliver_and_process(
        client,
        settings,
        "checkouts/update",
        completed(update),
        triggered_at=at + timedelta(milliseconds=300),
    )

    [checkout] = await all_rows(sessions, Checkout)
    assert checkout.completed_at == datetime.fromisoformat(update["updated_at"])
    changes = [f.completed_at for f in facts if isinstance(f, CheckoutChanged)]
    assert changes == [None, checkout.completed_at]


async def test_earlier_update_of_the_same_second_arriving_after_the_completion_loses(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
    facts: list[Any],
) -> None:
    update = fixture_json("checkouts/update")
    at = datetime.now(UTC)

    await deliver_and_process(
        client,
        settings,
        "checkouts/update",
        completed(update),
        triggered_at=at + timedelta(milliseconds=300),
    )
    await deliver_and_process(client, settings, "checkouts/update", update, triggered_at=at)

    [checkout] = await all_rows(sessions, Checkout)
    assert checkout.completed_at is not None
    assert len([f for f in facts if isinstance(f, CheckoutChanged)]) == 1
    assert {e.status for e in await all_rows(sessions, WebhookEvent)} == {"processed"}


async def test_malformed_json_with_a_valid_signature_is_stored_as_failed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    shop: int,
) -> None:
    response = await deliver(client, "orders/create", b'{"id": 1, "line_items": [')
    assert response.status_code == 200
    event = await latest_event(sessions)

    outcome = await process_webhook_event(job_context(resources), event.id)

    assert outcome == "malformed"
    event = await latest_event(sessions)
    assert event.status == "failed"
    assert event.last_error is not None
    assert event.last_error.startswith("malformed payload")


async def test_topic_without_a_handler_is_processed_with_a_note(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    shop: int,
) -> None:
    await deliver(client, "products/update", {"id": 1})
    event = await latest_event(sessions)

    assert await process_webhook_event(job_context(resources), event.id) == "no_handler"
    event = await latest_event(sessions)
    assert event.status == "processed"
    assert event.last_error == "note: no handler for topic products/update"


@pytest.fixture
def failing_listener() -> Iterator[dict[str, bool]]:
    """A scenario listener that fails while `switch["fail"]` is on."""
    switch = {"fail": True}

    async def listener(session: AsyncSession, fact: OrderPlaced) -> None:
        if switch["fail"]:
            raise RuntimeError("scenario engine unavailable")

    PLATFORM.facts.subscribe(OrderPlaced, listener)
    yield switch
    PLATFORM.facts.unsubscribe(OrderPlaced, listener)


async def test_failing_handler_retries_with_backoff_then_fails_then_is_replayed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    settings: Settings,
    shop: int,
    failing_listener: dict[str, bool],
) -> None:
    await deliver(client, "orders/create", fixture_bytes("orders/create"))
    event = await latest_event(sessions)
    delays = []
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(RetryJob) as retry:
            await process_webhook_event(job_context(resources), event.id)
        delays.append(retry.value.defer)
        assert (await latest_event(sessions)).attempts == attempt
    assert await process_webhook_event(job_context(resources), event.id) == "failed"

    # Exponential with jitter: each delay at least the base doubling, at most +50 %.
    for n, delay in enumerate(delays):
        assert 2.0 * 2**n <= delay <= 3.0 * 2**n
    event = await latest_event(sessions)
    assert (event.status, event.attempts) == ("failed", MAX_ATTEMPTS)
    assert event.last_error == "RuntimeError: scenario engine unavailable"
    assert await all_rows(sessions, Order) == []  # the failed attempts committed nothing

    token = bearer(mint_session_token(SHOP))
    listed = await client.get("/api/webhook-events", params={"status": "failed"}, headers=token)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()["events"]] == [event.id]

    failing_listener["fail"] = False
    replayed = await client.post(f"/api/webhook-events/{event.id}/replay", headers=token)
    assert replayed.status_code == 202
    assert replayed.json()["enqueued"] is True
    await run_worker_burst(settings)

    event = await latest_event(sessions)
    assert event.status == "processed"
    assert len(await all_rows(sessions, Order)) == 1
    again = await client.post(
        f"/api/webhook-events/{event.id}/replay", headers={**token, "Accept-Language": "fr-FR"}
    )
    assert again.status_code == 409
    assert again.json() == {
        "error": "EventNotFailed",
        "detail": f"L'événement webhook {event.id} a déjà été traité : il n'y a rien à rejouer.",
    }


async def test_another_shop_can_neither_list_nor_replay_events(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    shop: int,
) -> None:
    await create_shop(sessions, domain="other.myshopify.com")
    await deliver(client, "orders/create", b"not json")
    event = await latest_event(sessions)
    await process_webhook_event(job_context(resources), event.id)
    other = bearer(mint_session_token("other.myshopify.com"))

    listed = await client.get("/api/webhook-events", params={"status": "failed"}, headers=other)
    replay = await client.post(f"/api/webhook-events/{event.id}/replay", headers=other)

    assert listed.json() == {"events": []}
    assert replay.status_code == 404
    assert replay.json()["detail"].startswith(f"Webhook event {event.id} does not exist")
    assert (await latest_event(sessions)).status == "failed"


async def test_admin_api_needs_a_session_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/webhook-events")
    assert response.status_code == 401


async def test_an_order_repeating_a_line_item_and_a_code_is_stored_once_each(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    # The order, its lines and its codes are one statement: a line item or a code listed twice
    # must still give one row each (the last copy of a line, the first use of a code).
    order = fixture_json("orders/create")
    first_line = order["line_items"][0]
    order["line_items"].append({**first_line, "quantity": 7})
    order["discount_codes"] = [
        {"code": "WELCOME10", "amount": "10.00", "type": "percentage"},
        {"code": "WELCOME10", "amount": "99.00", "type": "fixed_amount"},
    ]
    await deliver_and_process(client, settings, "orders/create", order)

    [event] = await all_rows(sessions, WebhookEvent)
    assert event.status == "processed", event.last_error
    lines = await all_rows(sessions, OrderLineItem)
    assert len(lines) == len(fixture_json("orders/create")["line_items"])
    assert next(li.quantity for li in lines if li.shopify_id == first_line["id"]) == 7
    [code] = await all_rows(sessions, OrderDiscountCode)
    assert (code.code, code.amount, code.type) == ("WELCOME10", Decimal("10.00"), "percentage")


async def test_a_stale_order_version_writes_neither_the_order_nor_its_lines(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    order = fixture_json("orders/create")
    await deliver_and_process(client, settings, "orders/create", order)
    stale = {
        **order,
        "updated_at": "2020-01-01T00:00:00-05:00",
        "total_price": "1.00",
        "line_items": [{**line, "quantity": 99} for line in order["line_items"]],
        "discount_codes": [{"code": "LATE", "amount": "1.00", "type": "fixed_amount"}],
    }
    await deliver_and_process(client, settings, "orders/updated", stale)

    [stored] = await all_rows(sessions, Order)
    assert stored.total_price == Decimal("388.00")
    lines = await all_rows(sessions, OrderLineItem)
    assert [li.quantity for li in lines] == [li["quantity"] for li in order["line_items"]]
    assert await all_rows(sessions, OrderDiscountCode) == []
