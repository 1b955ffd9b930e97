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
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.settings import Settings

# The environment variable the protocol reads its deadline from: uvicorn builds protocols
# itself, in every worker process, from an import string.
HEADER_TIMEOUT_ENV = "HEADER_READ_TIMEOUT_SECONDS"
_DEFAULT_HEADER_TIMEOUT = 10.0
# h11 buffers at most this much of a request line and headers (uvicorn's default is 16 KiB;
# Shopify's requests and session tokens fit in a few).
MAX_HEADER_BYTES = 16 * 1024


def _header_timeout() -> float:
    try:
        seconds = float(os.environ.get(HEADER_TIMEOUT_ENV, _DEFAULT_HEADER_TIMEOUT))
    except ValueError:
        return _DEFAULT_HEADER_TIMEOUT
    return seconds if seconds > 0 else _DEFAULT_HEADER_TIMEOUT


class _HeaderDeadline:
    """The deadline on one connection's next request head: armed when the connection opens
    and after each response; met when a request's headers complete (a new cycle starts)."""

    def __init__(self, protocol: H11Protocol | HttpToolsProtocol) -> None:
        self.protocol = protocol
        self.timer: asyncio.TimerHandle | None = None
        self.cycle_when_armed: object = None

    def arm_if_waiting(self) -> None:
        cycle = self.protocol.cycle
        # A pipelined request may already have started the next cycle: its own completion
        # arms the deadline for the one after.
        waiting = cycle is None or cycle.response_complete
        if waiting and not self.protocol.transport.is_closing():
            self.cancel()
            self.cycle_when_armed = cycle
            self.timer = self.protocol.loop.call_later(_header_timeout(), self._overdue)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _overdue(self) -> None:
        self.timer = None
        transport = self.protocol.transport
        if self.protocol.cycle is self.cycle_when_armed and not transport.is_closing():
            transport.close()


class RequestHeadTooLarge(Exception):
    pass


class HeaderDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose next request's headers are late;
    h11 bounds the size of an incomplete request head itself
    (`h11_max_incomplete_event_size`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = _HeaderDeadline(self)
        self._deadline.arm_if_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._deadline.arm_if_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.cancel()
        super().connection_lost(exc)


class HeaderDeadlineHttpToolsProtocol(HttpToolsProtocol):
    """The same deadline on uvicorn's faster httptools protocol (the default), which also
    bounds a request's line and headers to MAX_HEADER_BYTES as h11 does: uvicorn's own
    httptools protocol keeps whatever a client sends until the head completes."""

    # Bytes of the current request's line and headers received so far, whether they are
    # complete (the parser buffers an unfinished header value whatever its size), and how
    # many heads and messages completed (so a chunk that finished one is not counted).
    _head_bytes = 0
    _head_done = False
    _completions = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = _HeaderDeadline(self)
        self._deadline.arm_if_waiting()

    def data_received(self, data: bytes) -> None:
        completions = self._completions
        super().data_received(data)
        if self._head_done or self.transport.is_closing():
            return
        if self._completions != completions:
            # The chunk finished a request; what it holds of the next head is not known, so
            # counting starts again (at most one chunk goes uncounted).
            self._head_bytes = 0
            return
        # All of this chunk went to a head still incomplete.
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEADER_BYTES:
            self.send_400_response("Request line and headers too large.")

    def on_headers_complete(self) -> None:
        self._head_done = True
        self._completions += 1
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > MAX_HEADER_BYTES:
            # A head that arrived whole in one chunk: raised from a parser callback, it
            # comes back out of feed_data as an HttpParserError, which uvicorn answers with
            # 400 and a closed connection.
            raise RequestHeadTooLarge(f"request line and headers over {MAX_HEADER_BYTES} bytes")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_done, self._head_bytes = False, 0
        self._completions += 1

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._deadline.arm_if_waiting()

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.cancel()
        super().connection_lost(exc)


PROTOCOLS = {
    "h11": "app.web.server:HeaderDeadlineH11Protocol",
    "httptools": "app.web.server:HeaderDeadlineHttpToolsProtocol",
}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The options `boomerang serve` (and the tests' real-socket servers) give uvicorn."""
    os.environ[HEADER_TIMEOUT_ENV] = str(settings.header_read_timeout_seconds)
    return {
        "http": PROTOCOLS[settings.http_parser],
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "limit_concurrency": settings.max_connections,
        "backlog": 2048,
    }
