"""Points taken back when an order is refunded or cancelled, against the original earn: its
share for each partial refund, nothing for shipping, all that is left on cancellation, and a
balance that may go negative when the points were already spent."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.facts import OrderPaid, RefundCreated
from app.loyalty import listeners, service
from app.models import Order, Refund
from app.settings import Settings
from tests.app.loyalty.conftest import configure, customer_id, now, position
from tests.support.commerce_payloads import order, paid_order, refund
from tests.support.webhooks import deliver_and_process

CUSTOMER = 6_000_001
EMAIL = "grace@example.com"


async def pay(client: httpx.AsyncClient, settings: Settings, order_id: int, subtotal: str) -> None:
    body = paid_order(order_id=order_id, customer_id=CUSTOMER, email=EMAIL, subtotal=subtotal)
    await deliver_and_process(client, settings, "orders/paid", body)


async def test_partial_refunds_take_back_their_share_of_the_original_earn(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await pay(client, settings, 91, "388.00")
    # The rule changes after the order: clawbacks still follow the earn (1 point per 1).
    await configure(sessions, program, per_currency={"points": "3"})
    await deliver_and_process(
        client, settings, "refunds/create", refund(refund_id=911, order_id=91, lines=("97.00",))
    )
    await deliver_and_process(
        client, settings, "refunds/create", refund(refund_id=912, order_id=91, lines=("194.00",))
    )
    # A replay of the first refund takes nothing more.
    await deliver_and_process(
        client, settings, "refunds/create", refund(refund_id=911, order_id=91, lines=("97.00",))
    )

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [
        ("earn", "order", 388),
        ("clawback", "refund", -97),
        ("clawback", "refund", -194),
    ]
    assert found.cached_balance == found.ledger_sum == 97


async def test_partial_refunds_summing_to_the_subtotal_take_back_every_point(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    """Rounding never leaves a point behind: three thirds of an order give back all of it."""
    await pay(client, settings, 92, "100.00")
    for refund_id in (921, 922, 923):
        body = refund(refund_id=refund_id, order_id=92, lines=("33.33",))
        await deliver_and_process(client, settings, "refunds/create", body)
    last = refund(refund_id=924, order_id=92, lines=("0.01",))
    await deliver_and_process(client, settings, "refunds/create", last)

    found = await position(sessions, program, CUSTOMER)
    assert sum(delta for kind, _, delta in found.entries if kind == "clawback") == -100
    assert found.cached_balance == 0


async def test_a_refund_of_shipping_only_takes_nothing_back(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await pay(client, settings, 93, "388.00")
    shipping = refund(refund_id=931, order_id=93, shipping="10.00")
    await deliver_and_process(client, settings, "refunds/create", shipping)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 388)]
    assert found.cached_balance == 388


async def test_giving_back_a_gift_card_bought_takes_back_no_points(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    """A gift card bought earned nothing, so its refund takes nothing back; the other line's
    refund then takes back all the order earned (not half, as a share of the whole subtotal
    would)."""
    body = paid_order(order_id=96, customer_id=CUSTOMER, email=EMAIL, subtotal="398.00")
    body["line_items"][1]["gift_card"] = True  # one of the two 199.00 lines
    await deliver_and_process(client, settings, "orders/paid", body)
    gift_card = refund(refund_id=961, order_id=96, lines=("199.00",))
    line = gift_card["refund_line_items"][0]
    line["line_item"] = {**body["line_items"][1]}
    line["line_item_id"] = line["line_item"]["id"]
    await deliver_and_process(client, settings, "refunds/create", gift_card)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 199)]
    assert found.cached_balance == 199

    product = refund(refund_id=962, order_id=96, lines=("199.00",))
    await deliver_and_process(client, settings, "refunds/create", product)
    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 199), ("clawback", "refund", -199)]
    assert found.cached_balance == found.ledger_sum == 0


async def test_a_cancelled_order_gives_back_all_its_remaining_points(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await pay(client, settings, 94, "200.00")
    await pay(client, settings, 95, "50.00")  # another order, kept
    await deliver_and_process(
        client, settings, "refunds/create", refund(refund_id=941, order_id=94, lines=("50.00",))
    )
    cancelled = order(
        "orders/cancelled",
        order_id=94,
        customer_id=CUSTOMER,
        email=EMAIL,
        subtotal="200.00",
        financial_status="refunded",
    )
    await deliver_and_process(client, settings, "orders/cancelled", cancelled)
    await deliver_and_process(client, settings, "orders/cancelled", cancelled)  # replayed

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [
        ("earn", "order", 200),
        ("earn", "order", 50),
        ("clawback", "refund", -50),
        ("clawback", "order", -150),
    ]
    assert found.cached_balance == 50


async def test_a_refund_arriving_before_its_order_is_taken_back_when_the_order_earns(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    early = refund(refund_id=961, order_id=96, lines=("30.00",))
    await deliver_and_process(client, settings, "refunds/create", early)
    await pay(client, settings, 96, "120.00")

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 120), ("clawback", "refund", -30)]
    assert found.cached_balance == 90


async def test_a_refund_after_the_points_were_spent_takes_the_balance_negative(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    await pay(client, settings, 97, "100.00")
    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        await service.adjust_points(
            session,
            shop_id=program,
            customer_id=customer,
            delta=-80,
            reason="spent at the counter",
            actor=service.merchant_actor(42),
            key="counter-1",
            now=now(),
        )
    full = refund(refund_id=971, order_id=97, lines=("100.00",))
    await deliver_and_process(client, settings, "refunds/create", full)

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [
        ("earn", "order", 100),
        ("adjust", "manual", -80),
        ("clawback", "refund", -100),
    ]
    assert found.cached_balance == found.ledger_sum == -80


async def test_a_refund_processed_while_its_order_earns_is_never_missed(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    program: int,
) -> None:
    """Worker B stores a refund and looks for the order's earn while worker A, not yet seeing
    B's refund, writes that earn: one of them must take the refund back."""
    pending = order(
        "orders/create",
        order_id=98,
        customer_id=CUSTOMER,
        email=EMAIL,
        subtotal="300.00",
        financial_status="pending",
    )
    await deliver_and_process(client, settings, "orders/create", pending)
    customer = await customer_id(sessions, program, CUSTOMER)
    async with sessions.begin() as session:
        order_row = await session.scalar(select(Order.id).where(Order.shopify_id == 98))
    assert order_row is not None
    refund_stored = asyncio.Event()

    async def worker_b() -> None:
        async with sessions.begin() as session:
            refund_id = await session.scalar(
                insert(Refund)
                .values(
                    shop_id=program,
                    shopify_id=981,
                    order_shopify_id=98,
                    amount=Decimal(100),
                    currency="USD",
                    line_items=[{"line_item_id": 980, "quantity": 1, "subtotal": "100.00"}],
                )
                .returning(Refund.id)
            )
            assert refund_id is not None
            await listeners.on_refund_created(
                session,
                RefundCreated(
                    shop_id=program,
                    refund_id=refund_id,
                    shopify_refund_id=981,
                    order_id=order_row,
                    shopify_order_id=98,
                    amount=Decimal(100),
                    currency="USD",
                ),
            )
            refund_stored.set()
            await asyncio.sleep(0.3)  # B commits late

    async def worker_a() -> None:
        await refund_stored.wait()
        async with sessions.begin() as session:
            await listeners.on_order_paid(
                session,
                OrderPaid(
                    shop_id=program,
                    order_id=order_row,
                    shopify_order_id=98,
                    customer_id=customer,
                    email=EMAIL,
                    eligible_subtotal=Decimal("300.00"),
                    currency="USD",
                    paid_at=None,
                ),
            )

    await asyncio.gather(worker_b(), worker_a())

    found = await position(sessions, program, CUSTOMER)
    assert found.entries == [("earn", "order", 300), ("clawback", "refund", -100)]
    assert found.cached_balance == 200
