"""How much of a shop's unprocessed inbox one live check may read. The checks before a step
and before a send read the order and checkout deliveries still waiting for the worker; when
the worker falls behind there can be tens of thousands, and a check that reads them all slows
the worker further (each check held a connection for seconds: a spiral). So a check reads at
most `read_limit` of them and, beyond it, calls what the rest say unknown: the step or the
send waits `recheck_after` and looks again, it is never decided on a partial view
(app/scenarios/engine.py, NotYet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class InboxChecks:
    # Enough for a healthy shop under a burst (at 200 deliveries/s the worker keeps a second
    # or two of them waiting), few enough that reading them stays a few milliseconds.
    read_limit: int = 500
    # A worker that is behind needs minutes, not seconds: looking again sooner only adds load.
    recheck_after: timedelta = timedelta(seconds=30)


DEFAULT = InboxChecks()
# Where a session carries its process's checks (INBOX_CHECK_LIMIT, INBOX_RECHECK_SECONDS; put
# there by app.platform).
SESSION_KEY = "boomerang.inbox_checks"


def checks_of(session: AsyncSession) -> InboxChecks:
    checks = session.info.get(SESSION_KEY)
    return checks if isinstance(checks, InboxChecks) else DEFAULT
