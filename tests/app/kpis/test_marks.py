"""The marks that tell the roll-up which days changed (migration 0093): writers of one shop's
day never wait for each other's mark, and a change committed after the roll-up claimed its
day keeps a mark of its own, so the next roll-up recomputes it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from tests.support.kpi_rows import Rows

NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


async def _marked_days(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, object]]:
    async with sessions() as session:
        found = await session.execute(
            text("SELECT DISTINCT shop_id, day FROM kpi_dirty_days ORDER BY 1, 2")
        )
        return [(int(shop_id), day) for shop_id, day in found.all()]


async def test_two_transactions_writing_orders_of_one_shops_day_do_not_wait_for_each_other(
    sessions: async_sessionmaker[AsyncSession], shop: Shop, rows: Rows
) -> None:
    await rows.order(customer_id=None, placed_at=NOON, total="10.00")  # the day marked
    async with sessions.begin() as first:
        first.add(rows.order_row(customer_id=None, placed_at=NOON, total="20.00"))
        await first.flush()  # its mark written, not committed
        async with sessions.begin() as second:
            # Before 0093 the second waited here for the first's lock on the day's mark.
            await second.execute(text("SET LOCAL lock_timeout = '2s'"))
            second.add(rows.order_row(customer_id=None, placed_at=NOON, total="30.00"))
            await second.flush()
    assert await _marked_days(sessions) == [(shop.id, NOON.date())]


async def test_a_change_committed_after_its_day_was_claimed_is_rolled_up_next_time(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
) -> None:
    await rows.message(
        "abandoned_cart", "checkout:1", 1, customer_id=None, requested_at=NOON, sent_at=NOON
    )
    async with sessions.begin() as writer:
        writer.add(
            rows.message_row(
                "abandoned_cart", "checkout:2", 1, customer_id=None, requested_at=NOON, sent_at=NOON
            )
        )
        await writer.flush()
        # The roll-up claims the day (its first message's mark) and recomputes it without
        # the message not yet committed.
        await rolled()
        assert await _marked_days(sessions) == []
    # Committed now: its own mark came with it (before 0093, the day's mark had been found
    # there already and nothing was added: the send waited for another change of the day).
    assert await _marked_days(sessions) == [(shop.id, NOON.date())]
    await rolled()
    async with sessions() as session:
        sent = await session.scalar(
            text(
                "SELECT sum(value) FROM kpi_daily WHERE shop_id = :shop AND source = "
                "'abandoned_cart' AND step = 1 AND metric = 'sent'"
            ),
            {"shop": shop.id},
        )
    assert sent == 2
