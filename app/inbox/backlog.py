"""How much of a shop's unprocessed inbox one live check may read. The checks before a step
and before a send read the order and checkout deliveries still waiting for the worker; when
the worker falls behind there can be tens of thousands, and a check that reads them all slows
the worker further (each check holds a connection for seconds). So a check reads at most this
many and, beyond it, calls what the rest say unknown: the step or the send waits, it is never
decided on a partial view (app/scenarios/engine.py, NotYet)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

# Enough for a healthy shop under a burst (at 200 deliveries/s the worker keeps a second or
# two of them waiting), few enough that reading them stays a few milliseconds.
DEFAULT_READ_LIMIT = 500
# Where a session carries the limit of its process (INBOX_CHECK_LIMIT; app.platform).
SESSION_KEY = "boomerang.inbox_read_limit"


def read_limit(session: AsyncSession) -> int:
    limit = session.info.get(SESSION_KEY, DEFAULT_READ_LIMIT)
    return limit if isinstance(limit, int) and limit > 0 else DEFAULT_READ_LIMIT
