"""Compliance and lifecycle handlers, called as the inbox will call them, on Shopify's payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.base import Base
from app.errors import UnknownShop
from app.installs.status import is_active
from app.models import (
    Checkout,
    Customer,
    CustomerDataRequest,
    EmailSuppression,
    Message,
    MessageEvent,
    Order,
    ScenarioRun,
    Shop,
    TimelineEntry,
    WebhookEvent,
)
from tests.support.fixtures import fixture_json
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from webhooks.registry import WebhookDelivery, handler_for

EMAIL = "john@example.com"
USER_AGENT = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
CUSTOMER_ID = 191167
ORDER_IDS = (299938, 280263, 220458)


def delivery(topic: str, shop: Shop, payload: dict[str, Any] | None = None) -> WebhookDelivery:
    body = payload if payload is not None else fixture_json(topic)
    raw = json.dumps(body).replace("{shop}", shop.domain.removesuffix(".myshopify.com"))
    return WebhookDelivery(
        event_row_id=0,
        shop_id=shop.id,
        shop_domain=shop.domain,
        topic=topic,
        webhook_id=f"wh-{topic}",
        event_id=None,
        triggered_at=datetime.now(UTC),
        api_version="2026-10",
        payload=json.loads(raw),
    )


async def handle(sessions: async_sessionmaker[AsyncSession], d: WebhookDelivery) -> None:
    handler = handler_for(d.topic)
    assert handler is not None
    async with sessions.begin() as session:
        await handler(session, d)


async def seed_customer_data(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> None:
    async with sessions.begin() as session:
        customer = Customer(
            shop_id=shop.id, shopify_id=CUSTOMER_ID, email=EMAIL, first_name="John", tags=["vip"]
        )
        session.add(customer)
        await session.flush()
        session.add(
            Checkout(
                shop_id=shop.id,
                token="chk-1",
                email=EMAIL,
                customer_id=customer.id,
                abandoned_checkout_url="https://x.example/recover",
            )
        )
        session.add(
            Order(
                shop_id=shop.id,
                shopify_id=ORDER_IDS[0],
                email=EMAIL,
                customer_id=customer.id,
                browser_ip="10.0.0.1",
                shipping_address={"address1": "1 Main St"},
                total_price=Decimal("10.00"),
            )
        )
        session.add(Customer(shop_id=shop.id, shopify_id=1, email="other@example.com"))
        now = datetime.now(UTC)
        message = Message(
            shop_id=shop.id,
            customer_id=customer.id,
            scenario="abandoned_cart",
            step=0,
            subject_key="chk-1",
            template="abandoned_cart_1",
            context={"first_name": "John"},
            status="failed",
            status_reason=f"smtp: 550 5.1.1 <{EMAIL}>: Recipient address rejected",
            mode="live",
            to_address=EMAIL,
            locale="en",
            subject="John, your cart is waiting",
            html="<p>Hi John</p>",
            text_body="Hi John",
            scheduled_at=now,
            requested_at=now,
            provider_response=f"250 2.0.0 Ok: queued for <{EMAIL}>",
        )
        session.add(message)
        await session.flush()
        session.add(
            MessageEvent(
                shop_id=shop.id,
                message_id=message.id,
                kind="click",
                human=True,
                url=f"https://x.example/recover?email={EMAIL}",
                user_agent=USER_AGENT,
                detail="clicked from 10.0.0.1",
                occurred_at=now,
            )
        )
        run = ScenarioRun(
            shop_id=shop.id,
            scenario="abandoned_cart",
            subject_key="chk-1",
            customer_id=customer.id,
            email=EMAIL,
            anchor_at=now,
        )
        session.add(run)
        await session.flush()
        session.add(
            TimelineEntry(
                shop_id=shop.id,
                customer_id=customer.id,
                run_id=run.id,
                scenario="abandoned_cart",
                kind="started",
                reason="cart abandoned",
            )
        )
        session.add(
            EmailSuppression(
                shop_id=shop.id,
                address=EMAIL,
                customer_id=customer.id,
                reason="unsubscribed",
                created_at=now,
            )
        )
        session.add(
            WebhookEvent(
                shop_id=shop.id,
                topic="customers/update",
                webhook_id=f"wh-seed-{shop.id}",
                body=json.dumps({"id": CUSTOMER_ID, "email": EMAIL}),
                status="processed",
            )
        )


async def test_data_request_exports_everything_once_and_the_merchant_sees_it(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    for _ in range(2):  # a redelivery exports nothing twice
        await handle(sessions, delivery("customers/data_request", shop))
    response = await client.get(
        "/api/compliance/data-requests", headers=bearer(mint_session_token(shop.domain))
    )
    assert response.status_code == 200
    requests = response.json()
    assert len(requests) == 1
    export = requests[0]["export"]
    assert requests[0]["data_request_id"] == 9999
    assert [c["email"] for c in export["customers"]] == [EMAIL]
    assert [c["token"] for c in export["checkouts"]] == ["chk-1"]
    assert [o["shopify_id"] for o in export["orders"]] == [ORDER_IDS[0]]
    assert [m["provider_response"] for m in export["messages"]] == [
        f"250 2.0.0 Ok: queued for <{EMAIL}>"
    ]
    assert [(e["kind"], e["user_agent"]) for e in export["message_events"]] == [
        ("click", USER_AGENT)
    ]


async def test_data_requests_of_shop_a_are_not_visible_to_shop_b(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop_a = await create_shop(sessions, domain="acme.myshopify.com")
    shop_b = await create_shop(sessions, domain="other.myshopify.com")
    await seed_customer_data(sessions, shop_a)
    await handle(sessions, delivery("customers/data_request", shop_a))
    response = await client.get(
        "/api/compliance/data-requests?shop=acme.myshopify.com",
        headers=bearer(mint_session_token(shop_b.domain)),
    )
    assert response.status_code == 200
    assert response.json() == []


async def test_customer_redaction_erases_personal_data_everywhere_idempotently(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    await handle(sessions, delivery("customers/data_request", shop))
    for _ in range(2):
        await handle(sessions, delivery("customers/redact", shop))
    async with sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.shopify_id == CUSTOMER_ID))
        other = await session.scalar(select(Customer).where(Customer.shopify_id == 1))
        checkout = await session.scalar(select(Checkout))
        order = await session.scalar(select(Order))
        exports = await session.scalar(select(func.count()).select_from(CustomerDataRequest))
        message = await session.scalar(select(Message))
        event = await session.scalar(select(MessageEvent))
    assert customer is not None
    assert customer.email is None
    assert customer.first_name is None
    assert customer.tags == []
    assert customer.redacted_at is not None
    assert other is not None
    assert other.email == "other@example.com"
    assert checkout is not None
    assert checkout.email is None
    assert checkout.abandoned_checkout_url is None
    assert order is not None
    assert order.email is None
    assert order.browser_ip is None
    assert order.shipping_address is None
    assert order.total_price == Decimal("10.00")
    assert exports == 0
    assert message is not None
    assert (message.to_address, message.provider_response, message.context) == (None, None, {})
    assert message.status_reason == "smtp"  # why it stopped, without whom it was for
    assert event is not None
    assert (event.url, event.user_agent, event.detail) == (None, None, None)
    assert (event.kind, event.human) == ("click", True)


async def rows_per_shop_table(
    sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> dict[str, int]:
    """Rows of `shop_id` in every table that has a shop_id column, by table name."""
    async with sessions.begin() as session:
        return {
            table.name: int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.shop_id == shop_id)
                )
                or 0
            )
            for table in Base.metadata.sorted_tables
            if "shop_id" in table.c
        }


async def test_shop_redaction_deletes_everything_of_that_shop_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    other = await create_shop(sessions, domain="other.myshopify.com")
    for seeded in (shop, other):
        await seed_customer_data(sessions, seeded)
        await handle(sessions, delivery("customers/data_request", seeded))
    before = await rows_per_shop_table(sessions, shop.id)
    assert sum(1 for n in before.values() if n) >= 10  # the test seeds most of the schema
    await handle(sessions, delivery("app/uninstalled", shop))  # shop/redact follows one
    for _ in range(2):
        await handle(sessions, delivery("shop/redact", shop))

    after = await rows_per_shop_table(sessions, shop.id)
    assert after == dict.fromkeys(after, 0)
    assert await rows_per_shop_table(sessions, other.id) == before
    async with sessions.begin() as session:
        tombstone = await session.get(Shop, shop.id)
    assert tombstone is not None
    assert tombstone.redacted_at is not None
    assert tombstone.access_token_encrypted is None
    assert tombstone.email is None
    assert not is_active(tombstone)


async def test_uninstall_deletes_the_token_and_stops_the_shop_but_keeps_data(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    for _ in range(2):
        await handle(sessions, delivery("app/uninstalled", shop))
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        customers = await session.scalar(select(func.count()).select_from(Customer))
    assert row is not None
    assert row.uninstalled_at is not None
    assert row.access_token_encrypted is None
    assert row.refresh_token_encrypted is None
    assert not is_active(row)
    assert customers == 2


async def test_shop_update_refreshes_the_shop_facts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await handle(sessions, delivery("shop/update", shop, fixture_json("app/uninstalled")))
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
    assert row is not None
    assert row.name == "Super Toys"
    assert row.email == "super@supertoys.com"
    assert row.locale == "en"
    assert row.plan_name == "Shopify Plus"


@pytest.mark.parametrize(
    "topic", ["customers/data_request", "customers/redact", "shop/redact", "app/uninstalled"]
)
async def test_a_delivery_for_an_unknown_shop_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], topic: str
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    ghost = Shop(id=shop.id + 1000, domain="ghost.myshopify.com")
    with pytest.raises(UnknownShop):
        await handle(sessions, delivery(topic, ghost))
    mismatched = Shop(id=shop.id, domain="ghost.myshopify.com")
    with pytest.raises(UnknownShop):
        await handle(sessions, delivery(topic, mismatched))
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        requests = await session.scalar(select(func.count()).select_from(CustomerDataRequest))
        customer = await session.scalar(select(Customer).where(Customer.shopify_id == CUSTOMER_ID))
    assert row is not None
    assert row.uninstalled_at is None
    assert requests == 0
    assert customer is not None
    assert customer.email == EMAIL


async def test_customer_redaction_cuts_the_timeline_status_reasons_to_their_code(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    refusal = f"smtp: 550 5.1.1 <{EMAIL}>: Recipient address rejected"
    async with sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.shopify_id == CUSTOMER_ID))
        assert customer is not None
        # A guest's cart sequence: no customer on the run or its entries, only the address.
        guest_run = ScenarioRun(
            shop_id=shop.id,
            scenario="abandoned_cart",
            subject_key="chk-guest",
            email=EMAIL,
            anchor_at=datetime.now(UTC),
        )
        session.add(guest_run)
        await session.flush()
        # What the engine's outcome_on_timeline records for a refused send.
        for customer_id, run_id in ((customer.id, None), (None, guest_run.id)):
            session.add(
                TimelineEntry(
                    shop_id=shop.id,
                    customer_id=customer_id,
                    run_id=run_id,
                    scenario="abandoned_cart",
                    kind="message_failed",
                    step=1,
                    reason="smtp",
                    detail={"message_id": 1, "status_reason": refusal, "note": f"to {EMAIL}"},
                )
            )
    await handle(sessions, delivery("customers/redact", shop))
    async with sessions.begin() as session:
        details = [
            e.detail
            for e in await session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.kind == "message_failed")
                .order_by(TimelineEntry.id)
            )
        ]
        started = await session.scalar(
            select(TimelineEntry.detail).where(TimelineEntry.kind == "started")
        )
    assert details == [{"message_id": 1, "status_reason": "smtp"}] * 2
    assert started == {}  # entries without a status reason are left as they were


async def test_customer_redaction_forgets_the_merchants_rewrite_of_their_email(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions, domain="acme.myshopify.com")
    await seed_customer_data(sessions, shop)
    async with sessions.begin() as session:
        message = await session.scalar(select(Message))
        assert message is not None
        message.edited_fields = {"heading": "John, we kept your cart", "body": "Dear John"}
    await handle(sessions, delivery("customers/redact", shop))
    async with sessions.begin() as session:
        edited = await session.scalar(select(Message.edited_fields))
    assert edited is None
