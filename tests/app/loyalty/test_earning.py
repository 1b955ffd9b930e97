"""Points earned from paid orders, delivered as Shopify delivers them: once per order whatever
the replays and races, on the subtotal in the shop's currency, with the pending period and
for guests by email."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import OrderPaid
from app.loyalty import listeners, service
from app.loyalty.verify import verify
from app.models import LoyaltyGuestPoints, Order, PointsLedgerEntry
from app.settings import Settings
from tests.app.loyalty.conftest import configure, customer_id, now, position
from tests.support.commerce_payloads import order, paid_order
from tests.support.fixtures import fixture_json
from tests.support.webhooks import all_rows, deliver, deliver_and_process
from tests.support.worker import run_worker_burst

CUSTOMER = 5_000_001
EMAIL = "ada@example.com"


async def test_a_paid_order_earns_a_point_per_unit_of_its_subtotal(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    # The fixture as Shopify sends it: subtotal 388.00 after discounts, shipping 10.00 apart.
    await deliver_and_process(client, settings, "orders/paid", fixture_json("orders/paid"))

    found = await position(sessions, program, fixture_json("orders/paid")["customer"]["id"])
    assert found.entries == [("earn", "order", 388)]
    assert found.cached_balance == found.ledger_sum == 388


async def test_the_same_paid_order_delivered_twice_awards_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=71, customer_id=CUSTOMER, email=EMAIL, subtotal="120.50")
    await deliver_and_process(client, settings, "orders/paid", body)
    await deliver_and_process(client, settings, "orders/paid", body)  # a new webhook id
    await deliver_and_process(client, settings, "orders/updated", body)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 120)]
    assert found.cached_balance == 120


async def test_two_workers_processing_the_same_paid_order_award_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=72, customer_id=CUSTOMER, email=EMAIL, subtotal="300.00")
    for topic in ("orders/paid", "orders/paid", "orders/updated", "orders/create"):
        assert (await deliver(client, topic, body)).status_code == 200
    await asyncio.gather(run_worker_burst(settings), run_worker_burst(settings))

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 300)]
    assert found.cached_balance == 300


async def test_two_transactions_racing_on_one_order_award_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    """The ledger's own guarantee, below the webhook pipeline (which also serializes on the
    order row): two sessions told the same order is paid, at the same moment."""
    pending = order(
        "orders/create",
        order_id=73,
        customer_id=CUSTOMER,
        email=EMAIL,
        subtotal="250.00",
        financial_status="pending",
    )
    await deliver_and_process(client, settings, "orders/create", pending)
    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        order_row = await session.scalar(select(Order.id).where(Order.shopify_id == 73))
    assert order_row is not None
    fact = OrderPaid(
        shop_id=program,
        order_id=order_row,
        shopify_order_id=73,
        customer_id=customer,
        email=EMAIL,
        eligible_subtotal=Decimal("250.00"),
        currency="USD",
        paid_at=None,
    )
    assert (await position(sessions, program, CUSTOMER)).entries == []

    async def process() -> None:
        async with sessions.begin() as session:
            await listeners.on_order_paid(session, fact)
            await asyncio.sleep(0.05)  # hold the transaction open while the other runs

    await asyncio.gather(process(), process())

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 250)]
    assert found.cached_balance == 250


async def test_two_orders_of_a_new_member_paid_at_the_same_moment_both_earn(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    """Two transactions create the same new account at once: the second waits for the
    first's row, finds it invisible to its statement's snapshot, and locks it in a statement
    of its own; both orders earn, and the cached balance counts both."""
    subtotals = {74: "40.00", 75: "60.00"}
    for order_id, subtotal in subtotals.items():
        created = order(
            "orders/create",
            order_id=order_id,
            customer_id=CUSTOMER,
            email=EMAIL,
            subtotal=subtotal,
            financial_status="pending",
        )
        await deliver_and_process(client, settings, "orders/create", created)
    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        rows = dict(
            (
                await session.execute(
                    select(Order.shopify_id, Order.id).where(Order.shop_id == program)
                )
            ).all()
        )
    facts = [
        OrderPaid(
            shop_id=program,
            order_id=rows[shopify_id],
            shopify_order_id=shopify_id,
            customer_id=customer,
            email=EMAIL,
            eligible_subtotal=Decimal(subtotal),
            currency="USD",
            paid_at=None,
        )
        for shopify_id, subtotal in subtotals.items()
    ]
    first_holds = asyncio.Event()

    async def first() -> None:
        async with sessions.begin() as session:
            await listeners.on_order_paid(session, facts[0])
            first_holds.set()
            await asyncio.sleep(0.3)  # the new account's row written, not committed

    async def second() -> None:
        await first_holds.wait()
        async with sessions.begin() as session:
            await listeners.on_order_paid(session, facts[1])

    await asyncio.gather(first(), second())

    found = await position(sessions, program, CUSTOMER)
    assert sorted(found.entries) == [("earn", "order", 40), ("earn", "order", 60)]
    assert found.cached_balance == found.ledger_sum == 100


async def test_points_count_the_shop_currency_when_the_customer_paid_in_another(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(
        order_id=74,
        customer_id=CUSTOMER,
        email=EMAIL,
        subtotal="100.00",
        presentment=("92.00", "EUR"),
    )
    await deliver_and_process(client, settings, "orders/paid", body)

    assert (await position(sessions, program, CUSTOMER)).entries == [("earn", "order", 100)]


async def test_gift_cards_bought_earn_nothing(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=75, customer_id=CUSTOMER, email=EMAIL, subtotal="398.00")
    body["line_items"][1]["gift_card"] = True  # one of the two 199.00 lines is a gift card
    await deliver_and_process(client, settings, "orders/paid", body)

    assert (await position(sessions, program, CUSTOMER)).entries == [("earn", "order", 199)]


async def test_an_unpaid_order_earns_nothing_until_it_is_paid(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = order(
        "orders/create",
        order_id=76,
        customer_id=CUSTOMER,
        email=EMAIL,
        subtotal="50.00",
        financial_status="pending",
    )
    await deliver_and_process(client, settings, "orders/create", body)
    assert (await position(sessions, program, CUSTOMER)).entries == []

    await deliver_and_process(client, settings, "orders/paid", {**body, "financial_status": "paid"})
    assert (await position(sessions, program, CUSTOMER)).entries == [("earn", "order", 50)]


async def test_the_rate_and_tier_multiplier_apply(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await configure(
        sessions,
        program,
        per_currency={"points": "2"},
        tiers=[
            {
                "key": "silver",
                "name_en": "Silver",
                "name_fr": "Argent",
                "threshold": "100",
                "multiplier": "1.5",
            },
        ],
    )
    first = paid_order(order_id=77, customer_id=CUSTOMER, email=EMAIL, subtotal="60.00")
    await deliver_and_process(client, settings, "orders/paid", first)
    # 120 points earned in the window: silver from now on, its multiplier on the next order.
    second = paid_order(order_id=78, customer_id=CUSTOMER, email=EMAIL, subtotal="10.00")
    await deliver_and_process(client, settings, "orders/paid", second)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 120), ("earn", "order", 30)]
    async with sessions.begin() as session:
        customer = await customer_id(sessions, program, CUSTOMER)
        assert (
            await service.balance_of(session, shop_id=program, customer_id=customer, now=now())
        ).tier == "silver"


async def test_a_program_switched_off_awards_nothing(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    shop: int,
) -> None:
    body = paid_order(order_id=79, customer_id=CUSTOMER, email=EMAIL, subtotal="80.00")
    await deliver_and_process(client, settings, "orders/paid", body)

    assert await all_rows(sessions, PointsLedgerEntry) == []


async def test_pending_points_become_spendable_after_the_pending_period(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await configure(sessions, program, pending_days=14)
    body = paid_order(order_id=80, customer_id=CUSTOMER, email=EMAIL, subtotal="40.00")
    await deliver_and_process(client, settings, "orders/paid", body)

    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        today = await service.balance_of(session, shop_id=program, customer_id=customer, now=now())
        later = await service.balance_of(
            session, shop_id=program, customer_id=customer, now=now() + timedelta(days=15)
        )
    assert (today.balance, today.pending, today.spendable) == (40, 40, 0)
    assert (later.balance, later.pending, later.spendable) == (40, 0, 40)
    assert (await position(sessions, program, CUSTOMER)).cached_pending == 40


async def test_guest_points_are_held_by_email_and_credited_when_the_customer_appears(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    guest = paid_order(order_id=81, customer_id=None, email="Guest@Example.com", subtotal="64.00")
    await deliver_and_process(client, settings, "orders/paid", guest)
    [held] = await all_rows(sessions, LoyaltyGuestPoints)
    assert (held.points, held.claimed_customer_id) == (64, None)
    assert await all_rows(sessions, PointsLedgerEntry) == []

    created = fixture_json("customers/create")
    created.update(id=CUSTOMER, email="guest@example.com")
    await deliver_and_process(client, settings, "customers/create", created)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 64)]
    assert found.cached_balance == 64
    # A later replay of the guest order, or of the customer, credits nothing more.
    await deliver_and_process(client, settings, "orders/paid", guest)
    await deliver_and_process(client, settings, "customers/update", created)
    assert (await position(sessions, program, CUSTOMER)).cached_balance == 64
    # The order names no customer, and the ledger credits one: verify accepts the claim.
    async with sessions.begin() as session:
        report = await verify(session)
    assert (report.orders, report.differences) == (1, [])


async def test_an_order_moved_to_another_customer_still_earns_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    first = paid_order(order_id=82, customer_id=CUSTOMER, email=EMAIL, subtotal="70.00")
    await deliver_and_process(client, settings, "orders/paid", first)
    moved = paid_order(
        order_id=82, customer_id=CUSTOMER + 1, email="bo@example.com", subtotal="70.00"
    )
    moved["updated_at"] = "2022-01-02T10:00:00-05:00"
    await deliver_and_process(client, settings, "orders/updated", moved)

    assert [(e.kind, e.delta) for e in await all_rows(sessions, PointsLedgerEntry)] == [
        ("earn", 70)
    ]
    assert (await position(sessions, program, CUSTOMER)).cached_balance == 70


async def test_a_guest_checkout_with_a_known_customers_email_is_credited_at_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    known = fixture_json("customers/create")
    known.update(id=CUSTOMER, email=EMAIL)
    await deliver_and_process(client, settings, "customers/create", known)
    guest = paid_order(order_id=83, customer_id=None, email=EMAIL.upper(), subtotal="33.00")
    await deliver_and_process(client, settings, "orders/paid", guest)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 33)]
    [held] = await all_rows(sessions, LoyaltyGuestPoints)
    assert held.claimed_customer_id == await customer_id(sessions, program, CUSTOMER)


async def test_a_taxes_included_order_earns_on_its_subtotal_without_the_tax(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    body = paid_order(order_id=84, customer_id=CUSTOMER, email=EMAIL, subtotal="398.00")
    body["taxes_included"] = True
    for line in body["line_items"]:  # 199.00 each, 10 % VAT inside: 18.09
        line["tax_lines"] = [
            {
                "title": "VAT",
                "rate": 0.1,
                "price": "18.09",
                "price_set": {
                    "shop_money": {"amount": "18.09", "currency_code": "USD"},
                    "presentment_money": {"amount": "18.09", "currency_code": "USD"},
                },
            }
        ]
    await deliver_and_process(client, settings, "orders/paid", body)

    # 398.00 - 2 x 18.09 = 361.82
    assert (await position(sessions, program, CUSTOMER)).entries == [("earn", "order", 361)]
