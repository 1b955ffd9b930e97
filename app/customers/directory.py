"""The customer index: a shop's customers found by name or email, filtered (marketing consent,
an open sequence, a loyalty tier) and sorted, one keyset page at a time.

Every sort is a tuple of never-null keys ending in the row id, served by an index on
(shop_id, keys…, id) (migration 0071_customer_index), so the page after a cursor starts where
the index says and costs the same on page 1 and page 4,000. Each search word must be in the
first name, last name or email (substring, case-insensitive), served by a trigram GIN index."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Select,
    String,
    and_,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidRequest
from app.i18n import Text
from app.models import Customer, LoyaltyAccount, ScenarioRun

Sort = Literal["created", "name", "email", "orders", "spent"]
Direction = Literal["asc", "desc"]
SORTS: tuple[Sort, ...] = get_args(Sort)
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

SUBSCRIBED = "subscribed"
# More words than this in one search are ignored (each word is one more condition).
MAX_SEARCH_WORDS = 5


class InvalidCursor(InvalidRequest):
    pass


# The empty string written into the statement, not sent as a parameter: the planner matches
# the sort indexes' expressions (lower(coalesce(first_name, ''))) only against a constant,
# and a prepared statement's generic plan has no value for a parameter.
_EMPTY: ColumnClause[str] = literal_column("''", String)


def _keys(sort: Sort) -> list[ColumnElement[Any]]:
    """The sort's keys, never null, the row id last (what makes every position unique)."""
    row_id = Customer.id.expression
    if sort == "name":
        return [
            func.lower(func.coalesce(Customer.first_name, _EMPTY), type_=String),
            func.lower(func.coalesce(Customer.last_name, _EMPTY), type_=String),
            row_id,
        ]
    if sort == "email":
        return [func.lower(func.coalesce(Customer.email, _EMPTY), type_=String), row_id]
    if sort == "orders":
        return [Customer.orders_count.expression, row_id]
    if sort == "spent":
        return [Customer.total_spent.expression, row_id]
    return [row_id]


@dataclass(frozen=True)
class Filters:
    search: str = ""
    # True: consent state "subscribed"; False: any other state (or none).
    subscribed: bool | None = None
    # True: at least one running sequence (a scenario run still active); False: none.
    open_run: bool | None = None
    # A loyalty tier's key.
    tier: str | None = None


@dataclass(frozen=True)
class Position:
    """Where a page ended, in the sort it was read in: the next page starts after it."""

    sort: Sort
    direction: Direction
    values: tuple[str | int, ...]

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.direction, list(self.values)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _bad_cursor() -> InvalidCursor:
    return InvalidCursor(
        Text(
            en="This page link is not valid (or was made for another sort order): "
            "start again from the first page.",
            fr="Ce lien de page n'est pas valide (ou a été fait pour un autre tri) : "
            "reprenez depuis la première page.",
        )
    )


_BIGINT_MAX = 2**63 - 1

# The JSON type of each key of a sort, in order (a Decimal travels as its string).
_VALUE_TYPES: dict[str, tuple[type, ...]] = {
    "created": (int,),
    "name": (str, str, int),
    "email": (str, int),
    "orders": (int, int),
    "spent": (str, int),
}


def decode_cursor(cursor: str, sort: Sort, direction: Direction) -> Position:
    """The position a cursor names; InvalidCursor if it is not one of ours for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise _bad_cursor() from None
    if not (isinstance(data, list) and len(data) == 3 and data[:2] == [sort, direction]):
        raise _bad_cursor()
    values = data[2]
    types = _VALUE_TYPES[sort]
    if not isinstance(values, list) or len(values) != len(types):
        raise _bad_cursor()
    for value, kind in zip(values, types, strict=True):
        if type(value) is not kind:
            raise _bad_cursor()
        if isinstance(value, int) and not 0 <= value <= _BIGINT_MAX:
            raise _bad_cursor()
    if sort == "spent":
        try:
            Decimal(values[0])
        except InvalidOperation:
            raise _bad_cursor() from None
    return Position(sort, direction, tuple(values))


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_words(search: str) -> list[str]:
    return search.lower().split()[:MAX_SEARCH_WORDS]


def _filtered(shop_id: int, filters: Filters) -> Select[Customer]:
    statement = select(Customer).where(Customer.shop_id == shop_id, Customer.redacted_at.is_(None))
    for word in search_words(filters.search):
        pattern = _like_pattern(word)
        in_email = func.lower(Customer.email).like(pattern, escape="\\")
        if "@" in word:
            # Part of an email address is looked for in emails only (one trigram lookup, not
            # three: a long address has many trigrams).
            statement = statement.where(in_email)
            continue
        statement = statement.where(
            or_(
                func.lower(Customer.first_name).like(pattern, escape="\\"),
                func.lower(Customer.last_name).like(pattern, escape="\\"),
                in_email,
            )
        )
    if filters.subscribed is True:
        statement = statement.where(Customer.email_marketing_state == SUBSCRIBED)
    elif filters.subscribed is False:
        statement = statement.where(Customer.email_marketing_state.is_distinct_from(SUBSCRIBED))
    if filters.open_run is not None:
        running = exists().where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.customer_id == Customer.id,
            ScenarioRun.status == "active",
        )
        statement = statement.where(running if filters.open_run else ~running)
    if filters.tier is not None:
        statement = statement.where(
            exists().where(
                LoyaltyAccount.shop_id == shop_id,
                LoyaltyAccount.customer_id == Customer.id,
                LoyaltyAccount.tier == filters.tier,
            )
        )
    return statement


def page_statement(
    shop_id: int,
    filters: Filters,
    *,
    sort: Sort,
    direction: Direction,
    after: Position | None = None,
    limit: int = 25,
) -> Select[Any]:
    """The statement of one page: each customer with its sort keys as the database computes
    them (the next cursor is made of the last row's), one row more than `limit` (whether
    there is a next page, without counting)."""
    keys = _keys(sort)
    statement = _filtered(shop_id, filters).add_columns(*keys)
    if after is not None:
        bound = tuple_(*keys)
        # Each value typed as its key (the id a BIGINT, not the INTEGER a Python int makes).
        values = [
            Decimal(v) if sort == "spent" and i == 0 else v for i, v in enumerate(after.values)
        ]
        start = tuple_(*(literal(v, k.type) for k, v in zip(keys, values, strict=True)))
        statement = statement.where(bound > start if direction == "asc" else bound < start)
    statement = statement.order_by(*(k.asc() if direction == "asc" else k.desc() for k in keys))
    return statement.limit(limit + 1)


@dataclass(frozen=True)
class ListedCustomer:
    customer: Customer
    # Running sequences (active scenario runs).
    open_runs: int
    tier: str | None
    points: int | None


@dataclass(frozen=True)
class CustomerPage:
    customers: list[ListedCustomer]
    # Pass as `cursor` for the next page; None on the last one.
    next_cursor: str | None


async def find(
    session: AsyncSession,
    shop_id: int,
    filters: Filters,
    *,
    sort: Sort = "created",
    direction: Direction = "desc",
    after: Position | None = None,
    limit: int = 25,
) -> CustomerPage:
    """One page of the shop's customers (never another shop's, never an erased one)."""
    if filters.search.strip():
        # A search is planned for its own words: a prepared statement's generic plan, which
        # knows no pattern, walks every customer in sort order for a word nobody has instead
        # of asking the trigram index (transaction-scoped).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    statement = page_statement(
        shop_id, filters, sort=sort, direction=direction, after=after, limit=limit
    )
    found = (await session.execute(statement)).all()
    more = len(found) > limit
    found = found[:limit]
    listed = await _with_summaries(session, shop_id, [row[0] for row in found])
    next_cursor = None
    if more and found:
        last = tuple(str(v) if isinstance(v, Decimal) else v for v in found[-1][1:])
        next_cursor = Position(sort, direction, last).encode()
    return CustomerPage(listed, next_cursor)


async def _with_summaries(
    session: AsyncSession, shop_id: int, rows: Sequence[Customer]
) -> list[ListedCustomer]:
    """Each row's open sequences and loyalty standing, two statements for the whole page."""
    ids = [c.id for c in rows]
    if not ids:
        return []
    running = dict(
        (
            await session.execute(
                select(ScenarioRun.customer_id, func.count())
                .where(
                    ScenarioRun.shop_id == shop_id,
                    ScenarioRun.customer_id.in_(ids),
                    ScenarioRun.status == "active",
                )
                .group_by(ScenarioRun.customer_id)
            )
        ).all()
    )
    accounts = {
        customer_id: (tier, balance)
        for customer_id, tier, balance in (
            await session.execute(
                select(
                    LoyaltyAccount.customer_id, LoyaltyAccount.tier, LoyaltyAccount.balance
                ).where(
                    and_(LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id.in_(ids))
                )
            )
        ).all()
    }
    return [
        ListedCustomer(
            customer=c,
            open_runs=int(running.get(c.id, 0)),
            tier=accounts[c.id][0] if c.id in accounts else None,
            points=accounts[c.id][1] if c.id in accounts else None,
        )
        for c in rows
    ]
