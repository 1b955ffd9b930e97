"""The roll-up kept incrementally by the job equals the one rebuilt from the raw rows, late
changes (a refund, a send, a cancellation) reach the day they belong to, and local days follow
the shop's timezone across DST."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.rollup import rebuild_shop
from app.models import Shop
from app.settings import Settings
from tests.app.kpis.conftest import get_json, paris
from tests.app.kpis.test_definitions import hand_computed_store
from tests.support.fixtures import fixture_json
from tests.support.kpi_rows import Rows
from tests.support.webhooks import deliver_and_process


async def roll_up_tables(
    sessions: async_sessionmaker[AsyncSession], shop_id: int
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    async with sessions.begin() as session:
        daily = (
            await session.execute(
                text(
                    "SELECT source, day, step, metric, value FROM kpi_daily "
                    "WHERE shop_id = :s ORDER BY 1, 2, 3, 4"
                ),
                {"s": shop_id},
            )
        ).all()
        attributions = (
            await session.execute(
                text(
                    "SELECT order_id, scenario, run_id, step, message_id, via, day, revenue, "
                    "refunded, discount_cost FROM kpi_attributions WHERE shop_id = :s ORDER BY 1"
                ),
                {"s": shop_id},
            )
        ).all()
        dirty = (await session.execute(text("SELECT shop_id, day FROM kpi_dirty_days"))).all()
        monthly = (
            await session.execute(
                text(
                    "SELECT source, month, step, metric, value FROM kpi_monthly "
                    "WHERE shop_id = :s ORDER BY 1, 2, 3, 4"
                ),
                {"s": shop_id},
            )
        ).all()
        outcomes = (
            await session.execute(
                text(
                    "SELECT scenario, day, held, subjects, converted, revenue, revenue_squares "
                    "FROM kpi_run_outcomes WHERE shop_id = :s ORDER BY 1, 2, 3"
                ),
                {"s": shop_id},
            )
        ).all()
    return (
        [tuple(r) for r in daily]
        + [("monthly", *r) for r in monthly]
        + [("outcomes", *r) for r in outcomes],
        [tuple(r) for r in attributions],
        [tuple(r) for r in dirty],
    )


async def test_rebuilt_equals_incremental(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
) -> None:
    ids = await hand_computed_store(rows)
    await rolled()
    # Later changes, each rolled up incrementally: a queued message sent, a new open on an
    # old message, a cancellation, a refund of an order placed days before.
    queued = await rows.message(
        "welcome",
        f"customer:{ids['c1']}",
        3,
        customer_id=ids["c1"],
        requested_at=paris("2026-11-12 10:00"),
    )
    await rolled()
    await rows.send(queued, paris("2026-11-12 10:05"))
    await rows.event(queued, "click", paris("2026-11-13 08:00"))
    _, late_shopify = await rows.order(
        customer_id=ids["c1"], placed_at=paris("2026-11-13 09:00"), total="40.00"
    )
    await rolled()
    await rows.refund(late_shopify, "40.00", paris("2026-11-20 09:00"))
    other, _ = await rows.order(
        customer_id=ids["c4"], placed_at=paris("2026-11-13 09:30"), total="15.00"
    )
    await rolled()
    await rows.cancel(other, paris("2026-11-14 09:00"))
    await rolled()
    # The holdout's outcomes: a subject held out on the 12th orders on the 20th and the 25th
    # (both within its 14 days), each order rolled up days after its run's day; the second is
    # cancelled; a third, placed as its 14 days end, does not count.
    c5 = await rows.customer("c5@example.test")
    await rows.run(
        "welcome",
        f"customer:{c5}",
        customer_id=c5,
        started_at=paris("2026-11-12 09:00"),
        holdout=True,
    )
    await rolled()
    await rows.order(customer_id=c5, placed_at=paris("2026-11-20 09:00"), total="30.00")
    await rolled()
    late, _ = await rows.order(customer_id=c5, placed_at=paris("2026-11-25 09:00"), total="12.00")
    await rows.order(customer_id=c5, placed_at=paris("2026-11-26 09:00"), total="99.00")
    await rolled()
    await rows.cancel(late, paris("2026-11-27 09:00"))
    await rolled()

    incremental = await roll_up_tables(sessions, shop.id)
    assert incremental[2] == []  # nothing left to roll up
    outcomes = {r[1:4]: r[4:] for r in incremental[0] if r[0] == "outcomes"}
    assert outcomes[("welcome", date(2026, 11, 12), True)] == (
        1,
        1,
        Decimal("30.00"),
        Decimal("900.0000"),
    )
    # The runs of the 10th: c1 ordered 100.00, 40.00 and 30.00 within 14 days (refunds do not
    # count here), c2 70.00 (unattributed, but an outcome), c3 nothing; the cart's checkout
    # was completed (50.00, its customer's too: once), its customer's cancelled order is out.
    assert outcomes[("welcome", date(2026, 11, 10), False)] == (
        3,
        2,
        Decimal("240.00"),
        Decimal(170 * 170 + 70 * 70),
    )
    assert outcomes[("abandoned_cart", date(2026, 11, 10), False)] == (
        1,
        1,
        Decimal("50.00"),
        Decimal(2500),
    )
    assert len(incremental[0]) > 40
    async with sessions.begin() as session:
        days = await rebuild_shop(session, shop.id, datetime.now(UTC))
    assert days >= 17  # 2026-11-10 … 2026-11-26
    rebuilt = await roll_up_tables(sessions, shop.id)
    assert rebuilt == incremental


async def test_a_refund_rolls_up_on_the_attributed_orders_day(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    customer = await rows.customer("r@example.test")
    await rows.run(
        "welcome", "customer:r", customer_id=customer, started_at=paris("2026-11-10 08:00")
    )
    message = await rows.message(
        "welcome",
        "customer:r",
        1,
        customer_id=customer,
        requested_at=paris("2026-11-10 09:00"),
        sent_at=paris("2026-11-10 09:00"),
    )
    await rows.event(message, "click", paris("2026-11-10 09:30"))
    _, shopify_id = await rows.order(
        customer_id=customer, placed_at=paris("2026-11-10 10:00"), total="60.00"
    )
    await rolled()
    url = "/api/kpis/scenarios?from=2026-11-10&to=2026-11-10"

    def welcome(body: dict) -> dict[str, str]:  # type: ignore[type-arg]
        (found,) = [s for s in body["scenarios"] if s["scenario"] == "welcome"]
        return {k: found["figures"][k]["value"] for k in ("conversions", "revenue", "refunded")}

    assert welcome(await get_json(client, url, auth)) == {
        "conversions": "1.0000",
        "revenue": "60.0000",
        "refunded": "0",
    }
    # Refunded in full a week later: no longer a conversion, no revenue, on the order's day.
    await rows.refund(shopify_id, "60.00", paris("2026-11-17 12:00"))
    await rolled()
    assert welcome(await get_json(client, url, auth)) == {
        "conversions": "0",
        "revenue": "0",
        "refunded": "60.0000",
    }


async def test_local_days_across_both_dst_changes(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """Paris: 2026-03-29 lasts 23 hours (22:00Z the 28th → 22:00Z the 29th), 2026-10-25 lasts
    25 hours (22:00Z the 24th → 23:00Z the 25th)."""
    for at in (
        "2026-03-28T22:59:59+00:00",  # 23:59:59 on the 28th (UTC+1)
        "2026-03-28T23:00:00+00:00",  # 00:00 on the 29th
        "2026-03-29T21:59:59+00:00",  # 23:59:59 on the 29th (UTC+2 since 02:00)
        "2026-03-29T22:00:00+00:00",  # 00:00 on the 30th
        "2026-10-24T21:59:59+00:00",  # 23:59:59 on the 24th (UTC+2)
        "2026-10-24T22:00:00+00:00",  # 00:00 on the 25th
        "2026-10-25T01:30:00+00:00",  # 02:30 the second time (UTC+1 since 03:00 → 02:00)
        "2026-10-25T22:59:59+00:00",  # 23:59:59 on the 25th (UTC+1)
        "2026-10-25T23:00:00+00:00",  # 00:00 on the 26th
    ):
        await rows.order(customer_id=None, placed_at=datetime.fromisoformat(at), total="1.00")
    await rolled()

    async def orders_by_day(first: str, last: str) -> dict[str, Decimal]:
        body = await get_json(
            client, f"/api/kpis/series?metric=orders&source=store&from={first}&to={last}", auth
        )
        return {p["day"]: Decimal(p["values"].get("store", "0")) for p in body["points"]}

    assert await orders_by_day("2026-03-28", "2026-03-30") == {
        "2026-03-28": 1,
        "2026-03-29": 2,
        "2026-03-30": 1,
    }
    assert await orders_by_day("2026-10-24", "2026-10-26") == {
        "2026-10-24": 1,
        "2026-10-25": 3,
        "2026-10-26": 1,
    }


async def test_opens_and_clicks_roll_up_without_recomputing_the_outcomes(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
) -> None:
    """The holdout outcomes read runs and orders only: a day marked by a message, an open or a
    click is rolled up (its figures move) without recomputing the outcomes of the 14 days
    before it; a run or an order recomputes them."""
    customer = await rows.customer("o@example.test")
    await rows.run(
        "welcome", "customer:o", customer_id=customer, started_at=paris("2026-11-10 08:00")
    )
    await rolled()

    async def outcome() -> tuple[int, int]:
        async with sessions.begin() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT subjects, converted FROM kpi_run_outcomes "
                        "WHERE shop_id = :s AND scenario = 'welcome' AND day = '2026-11-10'"
                    ),
                    {"s": shop.id},
                )
            ).one()
        return int(row[0]), int(row[1])

    async def tamper() -> None:
        # A figure no recomputation would give: it stays only while nothing recomputes it.
        async with sessions.begin() as session:
            await session.execute(
                text("UPDATE kpi_run_outcomes SET subjects = 99 WHERE shop_id = :s"),
                {"s": shop.id},
            )

    assert await outcome() == (1, 0)
    await tamper()
    message = await rows.message(
        "welcome",
        "customer:o",
        1,
        customer_id=customer,
        requested_at=paris("2026-11-11 09:00"),
        sent_at=paris("2026-11-11 09:00"),
    )
    await rows.event(message, "open", paris("2026-11-11 10:00"))
    await rows.event(message, "click", paris("2026-11-11 10:01"))
    assert await rolled() >= 1  # the send day was rolled up…
    assert await outcome() == (99, 0)  # …and the outcomes were left as they were
    async with sessions.begin() as session:
        clicks = await session.scalar(
            text(
                "SELECT value FROM kpi_daily WHERE shop_id = :s AND day = '2026-11-11' "
                "AND metric = 'unique_human_clicks' AND step = 0"
            ),
            {"s": shop.id},
        )
    assert clicks == 1
    # The customer orders within the run's 14 days: recomputed, converted.
    await rows.order(customer_id=customer, placed_at=paris("2026-11-12 09:00"), total="20.00")
    await rolled()
    assert await outcome() == (1, 1)


async def test_a_timezone_change_refiles_every_order_under_the_new_local_days(
    client: httpx.AsyncClient,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """Shopify says the shop moved from Paris to New York (shop/update): the roll-ups filed
    under Paris days are rebuilt under New York's by the job the webhook enqueues, so an order
    rolled up before counts once, on its New York day, with one rolled up after."""
    # 00:30 on the 11th in Paris is 18:30 on the 10th in New York.
    await rows.order(customer_id=None, placed_at=paris("2026-11-11 00:30"), total="30.00")
    await rolled()
    moved = {**fixture_json("app/uninstalled"), "iana_timezone": "America/New_York"}
    await deliver_and_process(client, settings, "shop/update", moved, shop=shop.domain)
    async with sessions.begin() as session:
        assert (
            await session.scalar(text("SELECT timezone FROM shops WHERE id = :s"), {"s": shop.id})
            == "America/New_York"
        )
    await rows.order(customer_id=None, placed_at=paris("2026-11-10 18:00"), total="10.00")
    await rolled()
    store = await get_json(client, "/api/kpis/store?from=2026-11-01&to=2026-11-30", auth)
    assert store["figures"]["orders"]["value"] == "2.0000"
    assert store["figures"]["revenue"]["value"] == "40.0000"
    series = await get_json(
        client, "/api/kpis/series?metric=orders&from=2026-11-10&to=2026-11-11", auth
    )
    assert series["points"] == [
        {"day": "2026-11-10", "values": {"store": "2.0000"}},
        {"day": "2026-11-11", "values": {}},
    ]
    # The same as rebuilding now.
    incremental = await roll_up_tables(sessions, shop.id)
    async with sessions.begin() as session:
        await rebuild_shop(session, shop.id, datetime.now(UTC))
    assert await roll_up_tables(sessions, shop.id) == incremental
