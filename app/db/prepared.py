"""Hot statements of the webhook worker, compiled once and run on the asyncpg connection under
a session's transaction: per event only the parameters travel, with none of SQLAlchemy's
per-execute work (statement building, cache keys, ORM bulk-insert set-up, result wrapping),
which cost more than the round trips themselves (bench/pipeline).

Same transaction as the session's ORM statements: what a handler writes here, the scenario
listeners read through the session, and it all commits or rolls back together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import asyncpg
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ClassManager, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import ClauseElement

from app.db.driver import compile_for_driver


class NoTransaction(RuntimeError):
    """The session has not begun its database transaction: a statement run on its driver now
    would commit on its own."""


class Prepared:
    """A statement (Core or `text()` with :named parameters) as asyncpg SQL, compiled once at
    import; run with keyword parameters."""

    def __init__(self, statement: ClauseElement) -> None:
        self.sql, self.names = compile_for_driver(statement)

    def _args(self, params: Mapping[str, Any]) -> Sequence[Any]:
        return [params[name] for name in self.names]

    async def fetch(self, driver: asyncpg.Connection, **params: Any) -> list[asyncpg.Record]:
        return list(await driver.fetch(self.sql, *self._args(params)))

    async def fetchrow(self, driver: asyncpg.Connection, **params: Any) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await driver.fetchrow(self.sql, *self._args(params))
        return row

    async def execute(self, driver: asyncpg.Connection, **params: Any) -> None:
        await driver.execute(self.sql, *self._args(params))


# The driver of the session's transaction, kept with that transaction (SQLAlchemy's root
# SessionTransaction, which holds one connection from its start to its end): a webhook event's
# handlers ask for it five or six times, and each `session.connection()` is a greenlet switch
# into SQLAlchemy. A new transaction of the session (after a commit or a rollback) is another
# SessionTransaction, and asks again.
_DRIVER = "boomerang.transaction_driver"


def _held_driver(session: AsyncSession) -> asyncpg.Connection | None:
    held = session.info.get(_DRIVER)
    if held is None:
        return None
    transaction, driver = held
    if transaction is not session.sync_session.get_transaction():
        return None
    return cast(asyncpg.Connection, driver) if driver.is_in_transaction() else None


def _hold_driver(session: AsyncSession, driver: asyncpg.Connection) -> asyncpg.Connection:
    session.info[_DRIVER] = (session.sync_session.get_transaction(), driver)
    return driver


async def transaction_driver(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection of the session's transaction. SQLAlchemy begins that transaction
    at the session's first statement; called before it, this raises NoTransaction rather
    than let a write commit alone."""
    held = _held_driver(session)
    if held is not None:
        return held
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        raise TypeError(f"expected an asyncpg connection, got {type(driver).__name__}")
    if not driver.is_in_transaction():
        raise NoTransaction("run a statement through the session before using its driver")
    return _hold_driver(session, driver)


async def begun_driver(session: AsyncSession) -> asyncpg.Connection:
    """`transaction_driver`, beginning the session's transaction first if no statement has
    yet (one extra round trip, only then): for code that may run first in a transaction."""
    try:
        return await transaction_driver(session)
    except NoTransaction:
        await session.execute(select(1))
        return await transaction_driver(session)


async def begin_on_driver(session: AsyncSession) -> asyncpg.Connection:
    """Begin the session's transaction with BEGIN alone, and return its driver: for a unit of
    work whose first statement is one of these. (SQLAlchemy's asyncpg dialect sends BEGIN
    lazily, just before its first statement; `begun_driver` would run `SELECT 1` for it.) The
    transaction stays the session's: it commits or rolls back as the session says."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        raise TypeError(f"expected an asyncpg connection, got {type(driver).__name__}")
    if not driver.is_in_transaction():
        # The dialect's own start, which its first statement would call: SQLAlchemy then
        # knows the transaction is open and ends it (commit, rollback, pool reset).
        await raw.dbapi_connection._start_transaction()  # type: ignore[union-attr]
    if not driver.is_in_transaction():  # pragma: no cover - a dialect that changed
        raise NoTransaction("the session's connection did not begin a transaction")
    return _hold_driver(session, driver)


M = TypeVar("M")


# The session keeps what it loads only as long as something else refers to it (its identity
# map is weak): adopted instances are kept here until the session ends.
_ADOPTED = "boomerang.adopted"


@dataclass(frozen=True)
class _Layout:
    """A mapped class as `adopt` fills it: its primary key's column names, and each
    attribute's key with its column's name."""

    manager: ClassManager[Any]
    primary_key: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]


_LAYOUTS: dict[type[Any], _Layout] = {}


def _layout(model: type[Any]) -> _Layout:
    layout = _LAYOUTS.get(model)
    if layout is None:
        mapper = inspect(model)
        layout = _LAYOUTS[model] = _Layout(
            manager=mapper.class_manager,
            primary_key=tuple(column.name for column in mapper.primary_key),
            attributes=tuple((prop.key, prop.columns[0].name) for prop in mapper.column_attrs),
        )
    return layout


def adopt(session: AsyncSession, model: type[M], row: Mapping[str, Any] | asyncpg.Record) -> M:
    """The `model` instance for a whole row this transaction just read or wrote on the driver
    (every column, as RETURNING or SELECT gave it), placed in the session's identity map as
    if the session had loaded it: a later `session.get` of it in the same transaction (the
    scenario listeners read the shop and the order a fact names) costs no round trip. An
    instance the session already holds is returned as it is.

    Built as a load builds it (the row's values set as committed state, no constructor and
    no change events), and kept by the session until it ends."""
    sync = session.sync_session
    layout = _layout(model)
    identity = tuple(row[name] for name in layout.primary_key)
    held = sync.identity_map.get(sync.identity_key(model, identity))
    if held is not None:
        return cast(M, held)
    instance = layout.manager.new_instance()
    instance_state(instance).dict.update({key: row[name] for key, name in layout.attributes})
    make_transient_to_detached(instance)
    sync.add(instance)
    session.info.setdefault(_ADOPTED, []).append(instance)
    return cast(M, instance)
