"""A property of the whole pipeline: whatever sequence of paid orders, partial refunds,
shipping refunds, cancellations, manual adjustments, birthday points (the yearly pass run
again) and replayed webhooks a shop sees, and in whatever order the worker happens to process
the deliveries, then perhaps everyone's points expiring (the pass run twice), every customer's
cached balance equals their ledger, the ledger equals what the history implies, and `verify`
agrees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from itertools import count
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service
from app.loyalty.birthdays import award_birthday
from app.loyalty.expiry import expire_account
from app.loyalty.settings import LoyaltySettings, load_settings
from app.loyalty.verify import verify
from app.models import Customer, LoyaltyAccount, PointsLedgerEntry, WebhookEvent
from app.platform.resources import Resources, build_resources
from app.settings import Settings
from jobs.webhook_events import process_webhook_event
from tests.app.loyalty.conftest import now
from tests.support.commerce_payloads import order, paid_order, refund
from tests.support.shops import create_shop
from tests.support.webhooks import deliver
from tests.support.worker import job_context

RATE = Decimal("1.5")
BIRTHDAY_POINTS = 25
ANN, BOB = 9_000_001, 9_000_002
# order id: (customer, subtotal in the shop's currency)
ORDERS = {1: (ANN, Decimal("100.00")), 2: (ANN, Decimal("37.35")), 3: (BOB, Decimal("250.10"))}

events = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.sampled_from(sorted(ORDERS))),
        st.tuples(
            st.just("refund"),
            st.sampled_from(sorted(ORDERS)),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("120"), places=2),
        ),
        st.tuples(st.just("shipping_refund"), st.sampled_from(sorted(ORDERS))),
        st.tuples(st.just("cancel"), st.sampled_from(sorted(ORDERS))),
        st.tuples(
            st.just("adjust"),
            st.sampled_from([ANN, BOB]),
            st.integers(min_value=-60, max_value=60).filter(bool),
        ),
        st.tuples(st.just("replay"), st.integers(min_value=0, max_value=50)),
        st.tuples(
            st.just("birthday"),
            st.sampled_from([ANN, BOB]),
            st.integers(min_value=2026, max_value=2028),
        ),
    ),
    min_size=1,
    max_size=10,
)

shops = count(1)


@dataclass
class History:
    """What happened, and what it implies for each customer's points (the expected side,
    written from the rules, not from the code under test)."""

    paid: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)
    refunded: dict[int, Decimal] = field(default_factory=dict)
    adjustments: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (customer, year): birthday points, once a year however often the pass runs.
    birthdays: set[tuple[int, int]] = field(default_factory=set)
    # Whether everyone's points expired at the end (after all of the above).
    expired: bool = False

    def implied(self, customer: int) -> int:
        held = self.held(customer)
        # An expiry takes what is held (nothing from a balance at or below zero).
        return min(held, 0) if self.expired else held

    def held(self, customer: int) -> int:
        total = sum(delta for who, delta in self.adjustments.values() if who == customer)
        total += BIRTHDAY_POINTS * sum(1 for who, _year in self.birthdays if who == customer)
        for order_id in self.paid | self.cancelled:
            owner, subtotal = ORDERS[order_id]
            if owner != customer or order_id in self.cancelled:
                continue
            earned = int((subtotal * RATE).to_integral_value(rounding=ROUND_FLOOR))
            share = Decimal(earned) * min(Decimal(1), self.refunded.get(order_id, 0) / subtotal)
            total += earned - int(share.to_integral_value(rounding=ROUND_HALF_UP))
        return total


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    built = await build_resources(settings)
    yield built
    await built.close()


async def load_settings_of(
    sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> LoyaltySettings:
    async with sessions() as session:
        return await load_settings(session, shop_id)


def _stamp(body: dict[str, Any], step: int) -> dict[str, Any]:
    # Shopify's updated_at grows with every change to an order.
    body["updated_at"] = f"2026-01-01T00:{step // 60:02d}:{step % 60:02d}Z"
    return body


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=events, data=st.data())
async def test_balance_equals_ledger_equals_history_whatever_the_sequence(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    sequence: list[tuple[Any, ...]],
    data: st.DataObject,
) -> None:
    domain = f"prop-{next(shops)}.myshopify.com"
    shop_id = (await create_shop(sessions, domain=domain)).id
    async with sessions.begin() as session:
        await service.update_settings(
            session,
            shop_id,
            {
                "enabled": True,
                "per_currency": {"points": str(RATE)},
                "birthday": {"enabled": True, "points": BIRTHDAY_POINTS},
                "expiry": {"enabled": True, "inactive_months": 6},
                # No warning to wait for: the expiry is the rule's alone here.
                "notices": {"expiry_warning": False},
            },
        )
        for shopify_id in (ANN, BOB):
            session.add(
                Customer(shop_id=shop_id, shopify_id=shopify_id, email=f"{shopify_id}@x.io")
            )
    customers = {}
    async with sessions.begin() as session:
        for row in await session.execute(
            select(Customer.shopify_id, Customer.id).where(Customer.shop_id == shop_id)
        ):
            customers[row.shopify_id] = row.id

    history = History()
    deliveries: list[tuple[str, dict[str, Any]]] = []
    adjustments: list[tuple[int, int, str]] = []
    birthdays: list[tuple[int, int]] = []
    refund_ids = count(100)
    for step, event in enumerate(sequence):
        kind = event[0]
        if kind == "pay" and event[1] not in history.cancelled:
            owner, subtotal = ORDERS[event[1]]
            body = paid_order(
                order_id=event[1], customer_id=owner, email=f"{owner}@x.io", subtotal=subtotal
            )
            deliveries.append(("orders/paid", _stamp(body, step)))
            history.paid.add(event[1])
        elif kind == "cancel" and event[1] not in history.cancelled:
            owner, subtotal = ORDERS[event[1]]
            body = order(
                "orders/cancelled",
                order_id=event[1],
                customer_id=owner,
                email=f"{owner}@x.io",
                subtotal=subtotal,
                financial_status="refunded",
            )
            deliveries.append(("orders/cancelled", _stamp(body, step)))
            history.cancelled.add(event[1])
        elif kind == "refund":
            body = refund(refund_id=next(refund_ids), order_id=event[1], lines=(event[2],))
            deliveries.append(("refunds/create", body))
            history.refunded[event[1]] = history.refunded.get(event[1], Decimal(0)) + event[2]
        elif kind == "shipping_refund":
            body = refund(refund_id=next(refund_ids), order_id=event[1], shipping="7.50")
            deliveries.append(("refunds/create", body))
        elif kind == "adjust":
            key = f"adjust-{step}"
            adjustments.append((event[1], event[2], key))
            history.adjustments[key] = (event[1], event[2])
        elif kind == "replay" and deliveries:
            deliveries.append(deliveries[event[1] % len(deliveries)])
        elif kind == "birthday":
            birthdays.append((event[1], event[2]))
            history.birthdays.add((event[1], event[2]))
    history.expired = data.draw(st.booleans(), label="everyone's points expire at the end")

    stored: list[int] = []
    for topic, body in deliveries:
        assert (await deliver(client, topic, body, shop=domain)).status_code == 200
        async with sessions.begin() as session:
            stored.append(int(await session.scalar(select(func.max(WebhookEvent.id))) or 0))
    # The worker may take the deliveries in any order (retries, several workers).
    for index in data.draw(st.permutations(range(len(stored))), label="processing order"):
        await process_webhook_event(job_context(resources), stored[index])
    for shopify_id, delta, key in adjustments + adjustments[:1]:  # one adjustment retried
        async with sessions.begin() as session:
            await service.adjust_points(
                session,
                shop_id=shop_id,
                customer_id=customers[shopify_id],
                delta=delta,
                reason="property test",
                actor=service.merchant_actor(1),
                key=key,
                now=now(),
            )

    program = await load_settings_of(sessions, shop_id)
    for shopify_id, year in birthdays:  # the yearly pass may run more than once
        async with sessions.begin() as session:
            await award_birthday(
                session,
                program,
                shop_id=shop_id,
                customer_id=customers[shopify_id],
                today=date(year, 6, 1),
                now=now(),
            )
    if history.expired:
        # A year on, everyone is inactive; the pass runs twice (the next hour's).
        for _ in range(2):
            for customer in customers.values():
                async with sessions.begin() as session:
                    await expire_account(
                        session, program, shop_id, customer, now() + timedelta(days=365)
                    )

    async with sessions.begin() as session:
        for shopify_id, customer in customers.items():
            cached = await session.scalar(
                select(LoyaltyAccount.balance).where(
                    LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer
                )
            )
            ledger = await session.scalar(
                select(func.coalesce(func.sum(PointsLedgerEntry.delta), 0)).where(
                    PointsLedgerEntry.shop_id == shop_id, PointsLedgerEntry.customer_id == customer
                )
            )
            assert (cached or 0) == ledger == history.implied(shopify_id), (shopify_id, history)
        report = await verify(session)
    assert report.ok, [str(d) for d in report.differences]
