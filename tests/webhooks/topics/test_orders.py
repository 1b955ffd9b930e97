"""orders/*: what the order's two statements do for the rest of the transaction, under
concurrency. The customer's statement takes the customer's turn at their order statistics, so
the order's statement (which recomputes them, counting the order as it writes it) sees every
order of the customer committed before; a customer another job is creating at the same moment
is found and shared, not created twice. Events stored through POST /webhooks, processed by the
worker's own `process_event`."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import Pool

from app.facts import OrderPlaced
from app.models import Customer, CustomerOrderStats, Order, WebhookEvent
from app.order_stats import refresh_customer_order_stats
from app.platform.composition import PLATFORM
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import deliver, deliver_and_process, install_shop
from webhooks.processing import Outcome, process_event

ORDER = fixture_json("orders/create")
CUSTOMER = fixture_json("customers/create")
START = datetime(2026, 9, 1, 12, tzinfo=UTC)


def order(n: int, *, days: float, customer_id: int | None = None) -> dict[str, Any]:
    """Shopify's sample order as the n-th order of the sample's customer (or another),
    placed `days` after START."""
    body = copy.deepcopy(ORDER)
    placed = (START + timedelta(days=days)).isoformat()
    body.update(id=5_000 + n, name=f"#T{n}", processed_at=placed, created_at=placed)
    body["updated_at"] = placed
    body["checkout_token"] = f"checkout-{n}"
    if customer_id is not None:
        body["customer"] = {**body["customer"], "id": customer_id}
    return body


class Gate:
    """Holds the first OrderPlaced listener's transaction open (the order's statements run,
    not committed) until released."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self._first = True

    async def on_order_placed(self, _session: AsyncSession, _fact: OrderPlaced) -> None:
        if self._first:
            self._first = False
            self.held.set()
            await self.release.wait()


@pytest.fixture
async def gate() -> AsyncIterator[Gate]:
    held = Gate()
    PLATFORM.facts.subscribe(OrderPlaced, held.on_order_placed)
    yield held
    PLATFORM.facts.unsubscribe(OrderPlaced, held.on_order_placed)


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent on the driver of a pooled connection checked out meanwhile."""
    sent: list[str] = []
    watched: dict[int, Any] = {}

    def log(query: Any) -> None:
        sent.append(query.query)

    def on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if id(driver) not in watched:
            watched[id(driver)] = driver
            driver.add_query_logger(log)

    event.listen(Pool, "checkout", on_checkout)
    try:
        yield sent
    finally:
        event.remove(Pool, "checkout", on_checkout)
        for driver in watched.values():
            driver.remove_query_logger(log)


async def stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    """The row id of the delivery just stored (its queued job is left to the queue)."""
    async with sessions.begin() as session:
        row_id = await session.scalar(select(WebhookEvent.id).order_by(WebhookEvent.id.desc()))
    assert row_id is not None
    return int(row_id)


async def store(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], body: dict[str, Any]
) -> int:
    response = await deliver(client, "orders/create", body)
    assert response.status_code == 200
    return await stored(sessions)


async def waiting_on_a_lock(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


async def until_waiting(sessions: async_sessionmaker[AsyncSession]) -> None:
    for _ in range(200):
        if await waiting_on_a_lock(sessions):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the second job never waited for the first")


async def test_two_orders_of_one_customer_processed_at_once_are_both_counted(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    gate: Gate,
) -> None:
    await install_shop(sessions)
    await deliver_and_process(client, settings, "customers/create", CUSTOMER)
    first = await store(client, sessions, order(1, days=0, customer_id=CUSTOMER["id"]))
    # Another email on the order: the shopper's lock (keyed by it) does not serialize them.
    other_email = order(2, days=30, customer_id=CUSTOMER["id"])
    other_email["email"] = other_email["contact_email"] = "gift-desk@example.com"
    second = await store(client, sessions, other_email)

    first_job = asyncio.create_task(process_event(sessions, first))
    await gate.held.wait()  # the first order written, its transaction open
    second_job = asyncio.create_task(process_event(sessions, second))
    # The second waits for the customer's turn, taken by the first's customer statement.
    await until_waiting(sessions)
    gate.release.set()
    results = await asyncio.gather(first_job, second_job)

    assert [r.outcome for r in results] == [Outcome.PROCESSED, Outcome.PROCESSED]
    async with sessions.begin() as session:
        stats = (await session.execute(select(CustomerOrderStats))).scalar_one()
    assert stats.orders_count == 2
    assert (stats.first_order_at, stats.last_order_at) == (START, START + timedelta(days=30))
    assert stats.median_interval_seconds == timedelta(days=30).total_seconds()


async def test_a_customer_another_job_is_creating_is_found_and_shared(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    gate: Gate,
) -> None:
    """The second job's customer statement waits on the first's uncommitted row, then finds
    it conflicting but not in its snapshot: it reads the row again in a statement of its own."""
    await install_shop(sessions)
    first = await store(client, sessions, order(1, days=0))
    second = await store(client, sessions, order(2, days=10))

    with statements() as sent:
        first_job = asyncio.create_task(process_event(sessions, first))
        await gate.held.wait()
        second_job = asyncio.create_task(process_event(sessions, second))
        await until_waiting(sessions)  # on the first's new customer row
        gate.release.set()
        results = await asyncio.gather(first_job, second_job)

    assert [r.outcome for r in results] == [Outcome.PROCESSED, Outcome.PROCESSED]
    # The second read of the row ran (the race this test stages).
    assert len([s for s in sent if s.lstrip().startswith("WITH found AS")]) == 1
    async with sessions.begin() as session:
        customers = (await session.execute(select(Customer))).scalars().all()
        orders = (await session.execute(select(Order))).scalars().all()
        stats = (await session.execute(select(CustomerOrderStats))).scalar_one()
    assert len(customers) == 1
    assert {o.customer_id for o in orders} == {customers[0].id}
    assert stats.orders_count == 2


async def test_the_statistics_count_each_order_as_written(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """New orders, one re-sent, one cancelled: after each, the row the order's statement
    wrote is what a refresh from the stored orders computes."""
    shop_id = await install_shop(sessions)

    async def row() -> tuple[Any, ...] | None:
        async with sessions.begin() as session:
            stats = await session.scalar(select(CustomerOrderStats))
            return (
                None
                if stats is None
                else (
                    stats.orders_count,
                    stats.first_order_at,
                    stats.last_order_at,
                    stats.median_interval_seconds,
                )
            )

    async def check() -> tuple[Any, ...] | None:
        kept = await row()
        async with sessions.begin() as session:
            customer_id = await session.scalar(select(Customer.id))
            assert customer_id is not None
            await refresh_customer_order_stats(session, shop_id, customer_id)
        assert await row() == kept
        return kept

    for n, days in ((1, 0), (2, 10), (3, 40)):
        await deliver_and_process(client, settings, "orders/create", order(n, days=days))
        await check()
    assert await check() == (
        3,
        START,
        START + timedelta(days=40),
        timedelta(days=20).total_seconds(),  # the median of 10 and 30 days
    )
    # The same version again changes nothing; a cancellation stops the order counting.
    await deliver_and_process(client, settings, "orders/updated", order(2, days=10))
    assert (await check() or ())[0] == 3
    cancelled = order(3, days=40)
    cancelled["cancelled_at"] = cancelled["updated_at"] = (START + timedelta(days=41)).isoformat()
    await deliver_and_process(client, settings, "orders/cancelled", cancelled)
    assert await check() == (
        2,
        START,
        START + timedelta(days=10),
        timedelta(days=10).total_seconds(),
    )
