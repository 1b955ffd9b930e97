"""How uvicorn serves the app: limits on what one client can hold. uvicorn closes an idle
keep-alive connection but gives a request's headers no deadline (a client sending half a
header line, then a byte now and then, keeps its connection forever), so the HTTP protocol
here closes any connection whose request line and headers are not complete within
HEADER_READ_TIMEOUT_SECONDS of the connection or of the previous response. The body has its
own budget (app/web/body_limits.py). In production a reverse proxy sits in front
(deploy/nginx.conf); these limits hold when it does not."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from app.settings import Settings

# The environment variable the protocol reads its deadline from: uvicorn builds protocols
# itself, in every worker process, from an import string.
HEADER_TIMEOUT_ENV = "HEADER_READ_TIMEOUT_SECONDS"
_DEFAULT_HEADER_TIMEOUT = 10.0
# h11 buffers at most this much of a request line and headers (uvicorn's default is 16 KiB;
# Shopify's requests and session tokens fit in a few).
MAX_HEADER_BYTES = 16 * 1024
PROTOCOL = "app.web.server:HeaderDeadlineH11Protocol"


def _header_timeout() -> float:
    try:
        seconds = float(os.environ.get(HEADER_TIMEOUT_ENV, _DEFAULT_HEADER_TIMEOUT))
    except ValueError:
        return _DEFAULT_HEADER_TIMEOUT
    return seconds if seconds > 0 else _DEFAULT_HEADER_TIMEOUT


class HeaderDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose next request's headers are late.
    h11 rather than httptools: h11 bounds the size of an incomplete request head
    (`h11_max_incomplete_event_size`); uvicorn's httptools protocol does not."""

    _header_timer: asyncio.TimerHandle | None = None
    _cycle_when_armed: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request may already have started the next cycle: its own completion
        # arms the deadline for the one after.
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        # A request whose headers are complete starts a new cycle: the deadline is then met.
        self._cycle_when_armed = self.cycle
        self._header_timer = self.loop.call_later(_header_timeout(), self._headers_overdue)

    def _headers_overdue(self) -> None:
        self._header_timer = None
        if self.cycle is self._cycle_when_armed and not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options `boomerang serve` (and the tests' real-socket servers) give uvicorn."""
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_read_timeout_seconds)
    return {
        "http": PROTOCOL,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "limit_concurrency": settings.max_connections,
        "backlog": 2048,
    }
