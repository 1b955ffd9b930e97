"""Customer segments as Shopify evaluates them, for the filters the simulator knows: ShopifyQL
conditions on `number_of_orders` (Shopify's "Number of orders" filter: =, !=, >, >=, <, <=, and
BETWEEN a AND b), joined with AND. Anything else is refused at segmentCreate like an invalid
query, so a test never relies on a filter the simulator would silently ignore."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from devstore.state import Customer

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_CONDITION = re.compile(r"^\s*number_of_orders\s*(=|!=|>=|<=|>|<)\s*(\d+)\s*$")
_BETWEEN = re.compile(r"^\s*number_of_orders\s+BETWEEN\s+(\d+)\s+AND\s+(\d+)\s*$", re.IGNORECASE)

Predicate = Callable[[Customer], bool]


class InvalidSegmentQuery(ValueError):
    pass


def _condition(text: str) -> Predicate:
    between = _BETWEEN.match(text)
    if between:
        low, high = int(between.group(1)), int(between.group(2))
        return lambda customer: low <= customer.orders_count <= high
    found = _CONDITION.match(text)
    if found is None:
        raise InvalidSegmentQuery(f"Query is invalid: {text.strip()!r}")
    compare, value = _COMPARE[found.group(1)], int(found.group(2))
    return lambda customer: compare(customer.orders_count, value)


def _split_and(query: str) -> list[str]:
    # BETWEEN a AND b holds an AND of its own: keep it with its condition.
    parts = re.split(r"\s+AND\s+", query, flags=re.IGNORECASE)
    merged: list[str] = []
    for part in parts:
        if merged and re.search(r"BETWEEN\s+\d+\s*$", merged[-1], re.IGNORECASE):
            merged[-1] = f"{merged[-1]} AND {part}"
        else:
            merged.append(part)
    return merged


def compile_query(query: str) -> Predicate:
    """The predicate of a segment query; raises InvalidSegmentQuery."""
    if not query.strip():
        raise InvalidSegmentQuery("Query can't be blank")
    conditions = [_condition(part) for part in _split_and(query)]
    return lambda customer: all(condition(customer) for condition in conditions)


def is_member(query: str, customer: Customer) -> bool:
    return compile_query(query)(customer)
