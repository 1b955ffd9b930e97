"""Shopify signs a delivery's body, not its headers: a captured body sent again, under another
shop's header, a new webhook id or an old trigger time, must change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import (
    CheckoutChanged,
    CustomerChanged,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    RefundCreated,
)
from app.main import create_app
from app.models import (
    Checkout,
    Customer,
    CustomerDataRequest,
    Fulfillment,
    Order,
    OrderDiscountCode,
    OrderLineItem,
    Refund,
    Shop,
    WebhookEvent,
)
from app.platform.composition import PLATFORM
from app.settings import Settings
from tests.support.fixtures import fixture_bytes
from tests.support.network import NoNetwork
from tests.support.webhooks import SHOP, all_rows, deliver, install_shop
from tests.support.worker import run_worker_burst

OTHER_SHOP = "other-shop.myshopify.com"
FACT_TYPES = (
    CheckoutChanged,
    CustomerChanged,
    OrderCancelled,
    OrderFulfilled,
    OrderPlaced,
    RefundCreated,
)
STORED_TABLES = (
    Checkout,
    Customer,
    Order,
    OrderLineItem,
    OrderDiscountCode,
    Fulfillment,
    Refund,
)


@pytest.fixture
def facts() -> Iterator[list[Any]]:
    """Every fact the handlers publish while the test runs."""
    seen: list[Any] = []

    async def record(session: AsyncSession, fact: Any) -> None:
        seen.append(fact)

    for fact_type in FACT_TYPES:
        PLATFORM.facts.subscribe(fact_type, record)
    yield seen
    for fact_type in FACT_TYPES:
        PLATFORM.facts.unsubscribe(fact_type, record)


def body_for(topic: str, shop: str = SHOP) -> bytes:
    """Shopify's sample payload, naming `shop` where it names one."""
    handle = shop.removesuffix(".myshopify.com")
    raw = json.loads(fixture_bytes(topic).decode().replace("{shop}", handle))
    if topic in ("app/uninstalled", "shop/update"):
        raw["myshopify_domain"] = shop
    return json.dumps(raw).encode()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[dict[str, Any]]]:
    """Every column of every row the commerce handlers write."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for model in STORED_TABLES:
        rows = await all_rows(sessions, model)
        columns = [c.key for c in inspect(model).column_attrs]
        tables[model.__tablename__] = [{c: getattr(row, c) for c in columns} for row in rows]
    return tables


async def customer_email(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> str | None:
    async with sessions.begin() as session:
        email: str | None = await session.scalar(
            select(Customer.email).where(Customer.shop_id == shop_id, Customer.shopify_id == 191167)
        )
        return email


async def seed_customer(client: httpx.AsyncClient, settings: Settings, shop: str) -> None:
    """customers/create for the customer Shopify's compliance samples name (id 191167)."""
    customer = json.loads(fixture_bytes("customers/create"))
    customer.update(id=191167, email=f"john@{shop}")
    response = await deliver(client, "customers/create", customer, shop=shop)
    assert response.status_code == 200
    await run_worker_burst(settings)


# -- the shop is the one the signed body names ------------------------------------------------


@pytest.mark.parametrize(
    "topic", ["customers/redact", "customers/data_request", "shop/redact", "app/uninstalled"]
)
async def test_a_body_naming_another_shop_is_refused_and_counted(
    topic: str,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    shop_a = await install_shop(sessions, domain=SHOP)
    await install_shop(sessions, domain=OTHER_SHOP)
    await seed_customer(client, settings, SHOP)
    events_before = len(await all_rows(sessions, WebhookEvent))
    counter = 'boomerang_webhooks_rejected_total{reason="shop_mismatch"}'
    before = metric((await client.get("/metrics")).text, counter)

    # Shop B's signed body, sent with shop A's header.
    response = await deliver(client, topic, body_for(topic, OTHER_SHOP), shop=SHOP)
    await run_worker_burst(settings)

    assert response.status_code == 401
    assert "X-Shopify-Shop-Domain" in response.text
    assert len(await all_rows(sessions, WebhookEvent)) == events_before
    assert await customer_email(sessions, shop_a) == f"john@{SHOP}"
    async with sessions.begin() as session:
        shop = await session.get(Shop, shop_a)
        assert shop is not None
        assert shop.uninstalled_at is None
    assert metric((await client.get("/metrics")).text, counter) == before + 1


async def test_a_body_naming_the_header_shop_is_processed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    shop_a = await install_shop(sessions, domain=SHOP)
    await seed_customer(client, settings, SHOP)

    response = await deliver(client, "customers/redact", body_for("customers/redact", SHOP))
    await run_worker_burst(settings)

    assert response.status_code == 200
    assert await customer_email(sessions, shop_a) is None


async def test_a_domain_in_another_case_or_a_body_naming_no_shop_is_accepted(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions, domain=SHOP)
    upper = body_for("customers/data_request").replace(b"boomerang-test", b"Boomerang-Test")
    # Shopify's own app/uninstalled sample has myshopify_domain null: nothing to compare.
    unnamed = fixture_bytes("app/uninstalled")

    assert (await deliver(client, "customers/data_request", upper)).status_code == 200
    assert (await deliver(client, "app/uninstalled", unnamed)).status_code == 200
    assert len(await all_rows(sessions, WebhookEvent)) == 2


# -- deliveries from before Shopify's retry window ---------------------------------------------


async def test_a_delivery_triggered_before_the_retry_window_is_dropped_and_counted(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    counter = 'boomerang_webhooks_rejected_total{reason="stale"}'
    before = metric((await client.get("/metrics")).text, counter)
    now = datetime.now(UTC)
    body = fixture_bytes("orders/create")

    stale = await deliver(client, "orders/create", body, triggered_at=now - timedelta(hours=7))
    # Shopify's last retry comes about 4 hours after the event: still taken.
    late = await deliver(client, "orders/paid", body, triggered_at=now - timedelta(hours=5))

    # 200: Shopify must not retry it (see the receiver), but nothing is stored.
    assert stale.status_code == 200
    assert late.status_code == 200
    assert [e.topic for e in await all_rows(sessions, WebhookEvent)] == ["orders/paid"]
    assert metric((await client.get("/metrics")).text, counter) == before + 1


@pytest.fixture
async def ageless_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with WEBHOOK_MAX_AGE_SECONDS=0, as the demo runs it."""
    application = create_app(
        settings.model_copy(update={"webhook_max_age_seconds": 0}), http_transport=NoNetwork()
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_the_age_limit_can_be_turned_off(
    ageless_client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await install_shop(sessions)
    week_ago = datetime.now(UTC) - timedelta(days=7)

    response = await deliver(
        ageless_client, "orders/create", fixture_bytes("orders/create"), triggered_at=week_ago
    )

    assert response.status_code == 200
    assert len(await all_rows(sessions, WebhookEvent)) == 1


# -- the same body under new webhook ids --------------------------------------------------------


@pytest.mark.parametrize(
    "topics",
    [
        ["checkouts/create"],
        ["checkouts/update"],
        ["customers/create"],
        ["customers/update"],
        ["orders/create"],
        ["orders/create", "orders/paid"],
        ["orders/create", "orders/fulfilled"],
        ["orders/create", "orders/cancelled"],
        ["orders/create", "refunds/create"],
    ],
    ids=lambda topics: topics[-1],
)
async def test_the_same_body_resent_under_a_new_webhook_id_changes_nothing(
    topics: list[str],
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    facts: list[Any],
) -> None:
    """The replay comes with a later X-Shopify-Triggered-At (the header is anyone's to set)."""
    await install_shop(sessions)
    first = datetime.now(UTC) - timedelta(minutes=5)
    # One after another, as Shopify sends them: the fixtures share one updated_at, so orders
    # processed in either order would leave whichever came last (orders are newest-wins by
    # updated_at alone; real payloads of a cancel or a fulfilment carry a later one).
    for topic in topics:
        await deliver(client, topic, fixture_bytes(topic), triggered_at=first)
        await run_worker_burst(settings)
    rows, published = await snapshot(sessions), list(facts)
    replayed = topics[-1]

    for minutes in (1, 2):
        response = await deliver(
            client,
            replayed,
            fixture_bytes(replayed),
            triggered_at=first + timedelta(minutes=minutes),
        )
        assert response.status_code == 200
    await run_worker_burst(settings)

    events = await all_rows(sessions, WebhookEvent)
    assert [e.status for e in events] == ["processed"] * (len(topics) + 2)
    assert facts == published
    assert await snapshot(sessions) == rows


async def test_a_newer_version_after_a_replay_still_applies(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    facts: list[Any],
) -> None:
    await install_shop(sessions)
    checkout = json.loads(fixture_bytes("checkouts/update"))
    await deliver(client, "checkouts/update", checkout)
    await deliver(client, "checkouts/update", checkout)
    newer = {**checkout, "email": "new@example.com", "updated_at": "2030-01-01T00:00:00Z"}
    await deliver(client, "checkouts/update", newer)
    await run_worker_burst(settings)

    [stored] = await all_rows(sessions, Checkout)
    assert stored.email == "new@example.com"
    # The replayed older version is published once at most: it changes something only when it
    # is processed before the newer one (the worker runs jobs concurrently, so either may go
    # first); the newer one always applies.
    assert [type(f) for f in facts] in ([CheckoutChanged], [CheckoutChanged, CheckoutChanged])


# -- compliance topics processed again -----------------------------------------------------------


async def test_compliance_requests_processed_again_are_harmless(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    shop_id = await install_shop(sessions)
    await seed_customer(client, settings, SHOP)
    for topic in ("customers/data_request", "customers/redact"):
        for _ in range(2):
            assert (await deliver(client, topic, body_for(topic))).status_code == 200
        await run_worker_burst(settings)
        if topic == "customers/data_request":
            assert len(await all_rows(sessions, CustomerDataRequest)) == 1

    events = await all_rows(sessions, WebhookEvent)
    assert {e.status for e in events} == {"processed"}
    assert await customer_email(sessions, shop_id) is None


async def test_shop_redact_for_a_shop_with_the_app_installed_erases_nothing(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """A captured shop/redact replayed after the merchant reinstalled the app."""
    shop_id = await install_shop(sessions)
    await seed_customer(client, settings, SHOP)

    response = await deliver(client, "shop/redact", body_for("shop/redact"))
    await run_worker_burst(settings)

    assert response.status_code == 200
    assert await customer_email(sessions, shop_id) == f"john@{SHOP}"
    async with sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        assert shop.redacted_at is None
