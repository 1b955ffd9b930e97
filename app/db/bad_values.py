"""Database errors caused by the values a request sent rather than by the database: SQLSTATE
class 22 ("data exception": a NUL in text, a number beyond its column) and asyncpg's refusal
to encode a parameter (an integer beyond BIGINT). The web app answers them 422, not 500."""

from __future__ import annotations

from asyncpg.exceptions import InterfaceError
from sqlalchemy.exc import DBAPIError


def is_bad_value(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith("22"):
        return True
    cause = exc.orig.__cause__ if exc.orig is not None else None
    # asyncpg's client-side DataError: an InterfaceError that is also a ValueError.
    return isinstance(cause, InterfaceError) and isinstance(cause, ValueError)
