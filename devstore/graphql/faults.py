"""Failures of Shopify's edge, injected on purpose: the next N Admin API calls of a shop answer
429 with Retry-After, or 502/503/504, or a 200 that is not JSON (a proxy's page), or lose their
connection half way, or stall first, or run and then lose their answer (`lost`: the request
reaches Shopify and runs, and the connection drops before the answer arrives, so the client
cannot tell whether a mutation was made).

They happen before authentication and cost nothing from the bucket, as at Shopify's edge. In a
real server (uvicorn) a dropped connection is closed mid-answer; in process, SimulatorTransport
turns it into the httpx transport error a client would see on a socket.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, get_args

import httpx
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

FaultKind = Literal["429", "502", "503", "504", "garbled", "drop", "stall", "lost"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# Shopify's answer when an app exceeds a request-rate limit (shopify.dev/docs/api/usage/limits).
TOO_MANY_REQUESTS = (
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted "
    "service."
)
_GATEWAY_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
    504: "504 Gateway Timeout",
}


_PROXY_PAGE = "<html><body><h1>Please wait</h1>Your request is being processed.</body></html>"


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    # 429 (and 503 when given): the Retry-After header, in seconds.
    retry_after: float | None = None
    # stall: seconds to wait before answering normally.
    delay: float = 0.0


class ConnectionDropped(Exception):
    """Raised by the simulator's app after it started an answer it will never finish."""


class FaultPlan:
    """The faults queued per shop, taken one per request, in order."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Fault]] = {}

    def add(self, shop: str, fault: Fault, count: int = 1) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self._queued.setdefault(shop, deque()).extend([fault] * count)

    def take(self, shop: str) -> Fault | None:
        queued = self._queued.get(shop)
        return queued.popleft() if queued else None

    def pending(self, shop: str) -> int:
        return len(self._queued.get(shop, ()))

    def clear(self, shop: str) -> None:
        self._queued.pop(shop, None)


def parse_fault(kind: Any, retry_after: Any = None, delay: Any = None) -> Fault:
    """A fault from loose input (the control API's JSON); ValueError when it makes no sense."""
    name = str(kind)
    if name not in FAULT_KINDS:
        raise ValueError(f"unknown fault {name!r}: one of {', '.join(FAULT_KINDS)}")
    after = None if retry_after is None else float(retry_after)
    if after is not None and after < 0:
        raise ValueError("retry_after must not be negative")
    pause = 0.0 if delay is None else float(delay)
    if pause < 0:
        raise ValueError("delay must not be negative")
    return Fault(kind=name, retry_after=after, delay=pause)  # type: ignore[arg-type]


def fault_response(fault: Fault) -> Response | None:
    """What the edge answers instead of the API; None for a stall (answered after the pause)."""
    if fault.kind == "429":
        return JSONResponse(
            {"errors": TOO_MANY_REQUESTS},
            status_code=429,
            headers={
                "Retry-After": f"{fault.retry_after if fault.retry_after is not None else 2.0}"
            },
        )
    if fault.kind in ("502", "503", "504"):
        status = int(fault.kind)
        headers = {"Retry-After": f"{fault.retry_after}"} if fault.retry_after is not None else {}
        return PlainTextResponse(_GATEWAY_PAGES[status], status_code=status, headers=headers)
    if fault.kind == "garbled":
        return HTMLResponse(_PROXY_PAGE, status_code=200)
    if fault.kind == "drop":
        return _DroppedAnswer()
    return None


def lost_answer() -> Response:
    """What a `lost` fault answers once the request has run: a connection dropped mid-answer."""
    return _DroppedAnswer()


async def stall(fault: Fault) -> None:
    await asyncio.sleep(fault.delay)


class _DroppedAnswer(Response):
    """Starts a 200 with a body it never finishes, then fails: uvicorn closes the socket."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data":', "more_body": True})
        raise ConnectionDropped("the simulator dropped the connection on purpose")


class SimulatorTransport(httpx.ASGITransport):
    """httpx's ASGI transport to the simulator, where a dropped connection surfaces as the
    transport error a real socket gives (httpx.RemoteProtocolError)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body", request=request
            ) from exc
