"""The loyalty program in customer data requests and redactions: a data request exports the
customer's account, ledger and guest points; customers/redact erases the email guest points
were held under, so they can no longer be claimed."""

from __future__ import annotations

import copy
from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.compliance.registry import DataSubject, export_customer_data
from app.loyalty import birthdays
from app.models import LoyaltyAccount, LoyaltyGuestPoints, LoyaltyProgram, PointsLedgerEntry
from app.settings import Settings
from tests.app.loyalty.conftest import customer_id
from tests.support.commerce_payloads import paid_order
from tests.support.fixtures import fixture_json
from tests.support.webhooks import SHOP, all_rows, deliver_and_process

CUSTOMER = 9_100_001
EMAIL = "kept@example.com"
GUEST = "forget-me@example.com"


async def test_a_data_request_exports_the_customers_points(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=61, customer_id=CUSTOMER, email=EMAIL, subtotal="25.00")
    await deliver_and_process(client, settings, "orders/paid", body)
    customer = await customer_id(sessions, program, CUSTOMER)

    async with sessions.begin() as session:
        exported = await export_customer_data(
            session, DataSubject(shop_id=program, customer_shopify_id=CUSTOMER, email=EMAIL)
        )

    [account, entry] = exported["loyalty"]
    assert account["account"]["customer_id"] == customer
    assert account["account"]["balance"] == 25
    assert (entry["ledger_entry"]["kind"], entry["ledger_entry"]["delta"]) == ("earn", 25)


async def test_a_redaction_erases_the_email_guest_points_are_held_under(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    guest = paid_order(order_id=62, customer_id=None, email=GUEST, subtotal="40.00")
    await deliver_and_process(client, settings, "orders/paid", guest)
    redact = copy.deepcopy(fixture_json("customers/redact"))
    redact["shop_domain"] = SHOP
    redact["customer"].update(id=CUSTOMER, email=GUEST)
    redact["orders_to_redact"] = [62]
    await deliver_and_process(client, settings, "customers/redact", redact)

    [held] = await all_rows(sessions, LoyaltyGuestPoints)
    assert (held.email, held.points, held.claimed_customer_id) == (None, 40, None)
    # A customer created later with that email claims nothing.
    created = fixture_json("customers/create")
    created.update(id=CUSTOMER + 1, email=GUEST)
    await deliver_and_process(client, settings, "customers/create", created)
    assert await all_rows(sessions, PointsLedgerEntry) == []


async def test_a_redaction_erases_the_birthday_the_customer_gave(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=63, customer_id=CUSTOMER, email=EMAIL, subtotal="25.00")
    await deliver_and_process(client, settings, "orders/paid", body)
    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        await birthdays.set_birthday(
            session,
            shop_id=program,
            customer_id=customer,
            birth_date=date(1990, 5, 17),
            today=date(2026, 12, 5),
        )
        exported = await export_customer_data(
            session, DataSubject(shop_id=program, customer_shopify_id=CUSTOMER, email=EMAIL)
        )
    [account] = [item["account"] for item in exported["loyalty"] if "account" in item]
    assert str(account["birth_date"]) == "1990-05-17"

    redact = copy.deepcopy(fixture_json("customers/redact"))
    redact["shop_domain"] = SHOP
    redact["customer"].update(id=CUSTOMER, email=EMAIL)
    redact["orders_to_redact"] = [63]
    await deliver_and_process(client, settings, "customers/redact", redact)

    [kept] = await all_rows(sessions, LoyaltyAccount)
    assert (kept.birth_date, kept.balance) == (None, 25)  # the points stay: the shop's books


async def test_shop_redact_removes_the_shops_loyalty_rows(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=63, customer_id=CUSTOMER, email=EMAIL, subtotal="25.00")
    await deliver_and_process(client, settings, "orders/paid", body)
    guest = paid_order(order_id=64, customer_id=None, email=GUEST, subtotal="10.00")
    await deliver_and_process(client, settings, "orders/paid", guest)
    # Shopify sends shop/redact 48 hours after the app is uninstalled (never before).
    uninstalled = fixture_json("app/uninstalled")
    uninstalled["myshopify_domain"] = SHOP
    await deliver_and_process(client, settings, "app/uninstalled", uninstalled)
    redact = fixture_json("shop/redact")
    redact["shop_domain"] = SHOP
    await deliver_and_process(client, settings, "shop/redact", redact)

    for model in (PointsLedgerEntry, LoyaltyAccount, LoyaltyGuestPoints, LoyaltyProgram):
        assert await all_rows(sessions, model) == [], model
