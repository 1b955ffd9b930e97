"""The driver of a session's transaction: the same connection for every statement of one
transaction, and never handed out once that transaction has ended."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.prepared import NoTransaction, begin_on_driver, begun_driver, transaction_driver


async def test_a_transactions_statements_run_on_its_connection(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        async with session.begin():
            driver = await begin_on_driver(session)
            await driver.execute("CREATE TEMP TABLE seen (n int) ON COMMIT DROP")
            await (await transaction_driver(session)).execute("INSERT INTO seen VALUES (1)")
            # The ORM's statements and the driver's share the transaction.
            assert await session.scalar(text("SELECT count(*) FROM seen")) == 1
            assert await transaction_driver(session) is driver
        # Committed: the temporary table went with the transaction, and so does its driver.
        with pytest.raises(NoTransaction):
            await transaction_driver(session)


async def test_a_new_transaction_never_gets_a_connection_now_anothers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as first, sessions() as second:
        async with first.begin():
            await begin_on_driver(first)
        # The first session's connection is back in the pool: the second may take it.
        async with second.begin():
            theirs = await begin_on_driver(second)
            async with first.begin():
                ours = await begun_driver(first)
                assert ours is not theirs
                assert ours.is_in_transaction()


async def test_a_rolled_back_transaction_leaves_no_driver_behind(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await session.begin()
        await begin_on_driver(session)
        await session.rollback()
        with pytest.raises(NoTransaction):
            await transaction_driver(session)
