"""Transports for tests that must not leave the machine: one that refuses every connection
(an app built without a simulator), and one that loses chosen answers on their way back."""

from __future__ import annotations

from collections.abc import Callable

import httpx


class NoNetwork(httpx.AsyncBaseTransport):
    """Every request fails as a refused connection would: the app under test sees Shopify as
    unreachable instead of reaching the real internet."""

    def __init__(self) -> None:
        self.attempts: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts.append(request)
        raise httpx.ConnectError(f"tests reach no network ({request.url.host})", request=request)


class LosesAnswers(httpx.AsyncBaseTransport):
    """Forwards to `inner` (the simulator); when `lose(request)` says so, the request is
    served but its answer never arrives: the caller sees a read error, as after a dropped
    connection, while the simulated Shopify has done the work."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, lose: Callable[[httpx.Request, bytes], bool]
    ) -> None:
        self._inner = inner
        self._lose: Callable[[httpx.Request, bytes], bool] | None = lose
        self.lost = 0

    def lose_nothing(self) -> None:
        """From now on every answer arrives."""
        self._lose = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = await self._inner.handle_async_request(request)
        if self._lose is not None and self._lose(request, body):
            await response.aread()
            self.lost += 1
            raise httpx.ReadError("connection dropped before the answer arrived", request=request)
        return response
