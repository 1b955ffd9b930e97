"""Win-back's selection against PostgreSQL: the customers it pages through are exactly those
the rule accepts, with the order statistics the orders handler keeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, CustomerOrderStats, Order, ScenarioRun, Shop
from app.order_stats import refresh_customer_order_stats
from app.scenarios.winback.queries import (
    KEY,
    lapsed_customers,
    load_snapshot,
    select_lapsed_page,
)
from app.scenarios.winback.rule import why_not_start
from app.scenarios.winback.settings import WinbackSettings
from app.settings import Settings
from tests.support.fixtures import fixture_json
from tests.support.webhooks import deliver_and_process, install_shop

NOW = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
RULE = WinbackSettings().lapse_rule
_ids = count(1000)


async def add_customer(
    session: AsyncSession,
    shop_id: int,
    *,
    days_ago: list[float],
    state: str = "subscribed",
    redacted: bool = False,
    cancelled_days_ago: list[float] | None = None,
) -> int:
    """A customer with orders placed the given numbers of days before NOW."""
    customer_id: int = (
        await session.execute(
            insert(Customer)
            .values(
                shop_id=shop_id,
                shopify_id=next(_ids),
                email=None if redacted else f"c{next(_ids)}@example.com",
                email_marketing_state=state,
                redacted_at=NOW if redacted else None,
            )
            .returning(Customer.id)
        )
    ).scalar_one()
    for days, cancelled in [(d, False) for d in days_ago] + [
        (d, True) for d in cancelled_days_ago or []
    ]:
        placed = NOW - timedelta(days=days)
        await session.execute(
            insert(Order).values(
                shop_id=shop_id,
                shopify_id=next(_ids),
                customer_id=customer_id,
                placed_at=placed,
                cancelled_at=placed if cancelled else None,
            )
        )
    # What the orders handler does after storing each of them.
    await refresh_customer_order_stats(session, shop_id, customer_id)
    return customer_id


async def selected(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> list[int]:
    async with sessions.begin() as session:
        return [
            c.customer_id
            async for page in lapsed_customers(session, shop_id, rule=RULE, now=NOW, page_size=2)
            for c in page
        ]


async def test_the_selection_is_what_the_rule_accepts(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop_id = await install_shop(sessions)
    async with sessions.begin() as session:
        lapsed = await add_customer(session, shop_id, days_ago=[120])
        lapsed_twice = await add_customer(session, shop_id, days_ago=[400, 200])
        recent = await add_customer(session, shop_id, days_ago=[30])
        # Ordered every ~20 days, last 45 days ago: past 2 × 20 days.
        regular_lapsed = await add_customer(session, shop_id, days_ago=[105, 85, 65, 45])
        regular_on_time = await add_customer(session, shop_id, days_ago=[95, 75, 55, 35])
        # Three orders a day apart: lapsed by their rhythm after 2 days, but never sooner
        # than 14 days after the last order.
        burst_recent = await add_customer(session, shop_id, days_ago=[14, 13, 12])
        burst_past_floor = await add_customer(session, shop_id, days_ago=[17, 16, 15])
        # Two orders 20 days apart: too few for the rhythm rule.
        two_orders = await add_customer(session, shop_id, days_ago=[65, 45])
        no_consent = await add_customer(session, shop_id, days_ago=[200], state="unsubscribed")
        redacted = await add_customer(session, shop_id, days_ago=[200], redacted=True)
        won_back_lately = await add_customer(session, shop_id, days_ago=[300])
        won_back_long_ago = await add_customer(session, shop_id, days_ago=[300])
        # Their only recent order was cancelled: it does not count.
        cancelled_recent = await add_customer(
            session, shop_id, days_ago=[150], cancelled_days_ago=[5]
        )
        for customer_id, started in (
            (won_back_lately, NOW - timedelta(days=100)),
            (won_back_long_ago, NOW - timedelta(days=200)),
        ):
            await session.execute(
                insert(ScenarioRun).values(
                    shop_id=shop_id,
                    scenario=KEY,
                    subject_key=f"{customer_id}:{started.date()}",
                    customer_id=customer_id,
                    status="completed",
                    anchor_at=started,
                    started_at=started,
                )
            )

    chosen = await selected(sessions, shop_id)

    assert chosen == sorted(
        [
            lapsed,
            lapsed_twice,
            regular_lapsed,
            burst_past_floor,
            won_back_long_ago,
            cancelled_recent,
        ]
    )
    for not_chosen in (
        recent,
        regular_on_time,
        burst_recent,
        two_orders,
        no_consent,
        redacted,
        won_back_lately,
    ):
        assert not_chosen not in chosen
    # The SQL and the pure rule agree on every customer.
    async with sessions.begin() as session:
        customer_ids = (await session.execute(select(Customer.id))).scalars().all()
        for customer_id in customer_ids:
            snapshot = await load_snapshot(session, shop_id, customer_id)
            assert snapshot is not None
            assert (why_not_start(snapshot, RULE, NOW) is None) == (customer_id in chosen), (
                customer_id,
                why_not_start(snapshot, RULE, NOW),
            )


async def test_pages_follow_each_other_and_another_shop_is_a_wall(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop_id = await install_shop(sessions)
    other_shop = await install_shop(sessions, domain="other-shop.myshopify.com")
    async with sessions.begin() as session:
        ours = [await add_customer(session, shop_id, days_ago=[100]) for _ in range(5)]
        await add_customer(session, other_shop, days_ago=[100])
        first = await select_lapsed_page(session, shop_id, after_id=0, rule=RULE, now=NOW, limit=2)
        rest = await select_lapsed_page(
            session, shop_id, after_id=first[-1].customer_id, rule=RULE, now=NOW, limit=10
        )
    assert [c.customer_id for c in first + rest] == ours


async def test_an_uninstalled_shop_selects_nobody(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop_id = await install_shop(sessions)
    async with sessions.begin() as session:
        await add_customer(session, shop_id, days_ago=[200])
    assert len(await selected(sessions, shop_id)) == 1

    async with sessions.begin() as session:
        await session.execute(update(Shop).values(uninstalled_at=NOW))
    assert await selected(sessions, shop_id) == []


async def test_the_orders_handler_keeps_the_statistics(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await install_shop(sessions)
    order = fixture_json("orders/create")
    await deliver_and_process(client, settings, "orders/create", order)
    async with sessions.begin() as session:
        stats = (await session.execute(select(CustomerOrderStats))).scalar_one()
        assert (stats.orders_count, stats.median_interval_seconds) == (1, None)

    await deliver_and_process(
        client, settings, "orders/cancelled", fixture_json("orders/cancelled")
    )
    async with sessions.begin() as session:
        cancelled = await session.scalar(select(Order.cancelled_at))
        remaining = (await session.execute(select(CustomerOrderStats))).scalars().all()
    assert cancelled is not None
    assert remaining == []


async def test_two_orders_of_one_customer_stored_at_once_are_both_counted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two order jobs of one customer in flight together: each refresh must see the other's
    order once it commits, not write figures computed without it over the other's."""
    shop_id = await install_shop(sessions)
    async with sessions.begin() as session:
        customer_id = await add_customer(session, shop_id, days_ago=[])
    first_refreshed = asyncio.Event()

    async def store_order(days_ago: float, *, first: bool) -> None:
        async with sessions.begin() as session:
            await session.execute(
                insert(Order).values(
                    shop_id=shop_id,
                    shopify_id=next(_ids),
                    customer_id=customer_id,
                    placed_at=NOW - timedelta(days=days_ago),
                )
            )
            if not first:
                await first_refreshed.wait()
            await refresh_customer_order_stats(session, shop_id, customer_id)
            if first:
                first_refreshed.set()
                await asyncio.sleep(0.3)  # still uncommitted while the other refreshes

    await asyncio.gather(store_order(30, first=True), store_order(10, first=False))

    async with sessions.begin() as session:
        stats = (
            await session.execute(
                select(CustomerOrderStats).where(CustomerOrderStats.customer_id == customer_id)
            )
        ).scalar_one()
    assert stats.orders_count == 2
    assert stats.last_order_at == NOW - timedelta(days=10)
