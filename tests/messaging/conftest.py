"""Messaging fixtures: a real SMTP server (aiosmtpd) on loopback, an installed shop with
customers, and a way to run the send job as the worker does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DEFAULT_POLICY, DeliveryMode, set_sending_policy
from app.messaging.outbox import enqueue_message
from app.models import Customer, Message, Shop
from app.platform.resources import Resources
from app.queue import JobContext
from app.settings import Settings
from jobs.messages import send_message
from tests.support.services import free_port
from tests.support.shops import create_shop


@dataclass
class Inbox:
    """What the SMTP server accepted. RCPT to bounce-* gets 550, to later-* gets 451."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 Ok: queued as TEST"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "email_from": "Acme <shop@acme.test>",
        }
    )


@pytest.fixture
def resources(app: FastAPI) -> Resources:
    res: Resources = app.state.resources
    return res


@pytest.fixture
def config(settings: Settings) -> MessagingConfig:
    return MessagingConfig.from_settings(settings)


async def make_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    timezone: str = "UTC",
    locale: str = "en",
    domain: str = "acme.myshopify.com",
    quiet_hours: bool = False,
) -> Shop:
    """An installed shop. Quiet hours are off unless asked for, so tests do not depend on the
    hour they run at."""
    shop = await create_shop(sessions, domain=domain)
    async with sessions.begin() as session:
        if not quiet_hours:
            await set_sending_policy(
                session, shop.id, replace(DEFAULT_POLICY, quiet_start=time(0), quiet_end=time(0))
            )
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.name, row.email, row.timezone, row.locale, row.currency = (
            "Acme",
            "owner@acme.test",
            timezone,
            locale,
            "EUR",
        )
    shop.name, shop.email, shop.timezone, shop.locale, shop.currency = (
        "Acme",
        "owner@acme.test",
        timezone,
        locale,
        "EUR",
    )
    return shop


_customer_seq = iter(range(1000, 10_000_000))


async def make_customer(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    *,
    email: str | None = None,
    first_name: str | None = "Camille",
    state: str | None = "subscribed",
    locale: str | None = None,
) -> Customer:
    number = next(_customer_seq)
    customer = Customer(
        shop_id=shop.id,
        shopify_id=number,
        email=email or f"shopper{number}@example.test",
        first_name=first_name,
        last_name="Martin",
        locale=locale,
        email_marketing_state=state,
        tags=[],
    )
    async with sessions.begin() as session:
        session.add(customer)
    return customer


CART_CONTEXT: dict[str, Any] = {
    "items": [
        {
            "title": "Linen shirt",
            "variant_title": "M / Blue",
            "quantity": 2,
            "price": "1234.50",
            "image_url": "https://cdn.example.test/shirt.jpg",
        }
    ],
    "cart_total": "2469.00",
    "currency": "EUR",
    "checkout_url": "https://acme.myshopify.com/checkouts/abc/recover?key=1&x=2",
}


async def enqueue(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    shop: Shop,
    customer: Customer,
    *,
    scenario: str = "abandoned_cart",
    step: int = 1,
    subject_key: str = "checkout-abc",
    context: dict[str, Any] | None = None,
    at: datetime | None = None,
    transactional: bool = False,
    mode: DeliveryMode | None = None,
) -> Message:
    async with sessions.begin() as session:
        return await enqueue_message(
            session,
            config,
            shop=shop,
            customer=customer,
            scenario=scenario,
            step=step,
            subject_key=subject_key,
            context=CART_CONTEXT if context is None else context,
            scheduled_at=at or datetime.now(UTC),
            transactional=transactional,
            mode=mode,
        )


async def run_send_job(resources: Resources, message_id: int) -> str:
    return await send_message(
        JobContext(job_id=f"test:{message_id}", attempt=1, resources=resources), message_id
    )


async def reload(sessions: async_sessionmaker[AsyncSession], message_id: int) -> Message:
    async with sessions.begin() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message
