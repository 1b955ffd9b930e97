"""Every request body bounded before the app reads it: a size cap per route (413), checked on
the declared Content-Length before a byte is read and counted while a chunked body streams
in, and a time budget for the whole body (408), so neither a huge body nor one sent a byte
at a time can hold a web process. The cap is enforced ahead of authentication on purpose:
an unauthenticated client must not make the process buffer or parse anything large.

POST /webhooks reads its body itself (webhooks/receiver.py) with `read_capped_body`, the
same mechanism; this middleware gives it the time budget.

A refusal is the JSON error every API client reads, except under a path given a page of its
own (`refusal_pages`): the hosted review form answers a shopper with a page in their language
saying what to do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import BoomerangError
from app.i18n import Text
from app.web.errors import error_response

KIB = 1024
MIB = 1024 * KIB
# Every route not named below: session-token JSON (settings, approvals, replays), forms.
DEFAULT_MAX_BODY_BYTES = 64 * KIB
# Path prefixes with a larger cap, first match wins. A template or an edited message carries
# up to 300,000 characters of HTML and text (app/messaging/templates.py), which JSON may
# escape to six bytes each; a relay's batch of bounce events or a DSN with the original
# headers stays well under a mebibyte.
ROUTE_MAX_BODY_BYTES: tuple[tuple[str, int], ...] = (
    ("/api/templates/", 2 * MIB),
    ("/api/approvals/", 2 * MIB),
    ("/hooks/email-events", 1 * MIB),
    # The review form: up to 5 photos of 5 MB each, and the text (app/reviews/photos.py).
    ("/review/", 26 * MIB),
)

# Renders a refusal for the people a path serves (a page rather than JSON).
RefusalPage = Callable[[Request, BoomerangError], Awaitable[Response]]


def max_body_bytes(path: str) -> int:
    for prefix, limit in ROUTE_MAX_BODY_BYTES:
        if path.startswith(prefix):
            return limit
    return DEFAULT_MAX_BODY_BYTES


class PayloadTooLarge(BoomerangError):
    status_code = 413
    # The rest of the body is never read: the connection cannot be reused.
    headers: ClassVar[dict[str, str]] = {"Connection": "close"}


class BodyTimeout(BoomerangError):
    status_code = 408
    headers: ClassVar[dict[str, str]] = {"Connection": "close"}


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        Text(
            en=f"The request body is larger than this route accepts ({limit} bytes at most).",
            fr=f"Le corps de la requête dépasse ce que cette route accepte ({limit} octets "
            "au plus).",
        )
    )


def too_slow(seconds: float) -> BodyTimeout:
    return BodyTimeout(
        Text(
            en=f"The request body did not arrive within {seconds:g} s: send it again at once.",
            fr=f"Le corps de la requête n'est pas arrivé en {seconds:g} s : renvoyez-le d'un "
            "seul tenant.",
        )
    )


class BodyRefused(HTTPException):
    """Carries a refusal raised while the app reads the body through FastAPI's body parsing,
    which turns any other exception into a 400 (it re-raises HTTPException only)."""

    def __init__(self, error: BoomerangError) -> None:
        super().__init__(error.status_code)
        self.error = error


def declared_length(headers: Mapping[str, str]) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


async def read_capped_body(receive: Receive, declared: int | None, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` (by its
    Content-Length, or while reading a chunked one): the rest is never buffered."""
    if declared is not None and declared > limit:
        return None
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class BodyLimits:
    """ASGI middleware: the size cap and the time budget on every HTTP request's body.
    `self_capped` paths read their body with `read_capped_body` themselves (the webhook
    receiver, which counts what it refuses): they get the time budget only."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        read_timeout_seconds: float,
        self_capped: frozenset[str],
        refusal_pages: Sequence[tuple[str, RefusalPage]] = (),
    ) -> None:
        self.app = app
        self.read_timeout = read_timeout_seconds
        self.self_capped = self_capped
        self.refusal_pages = tuple(refusal_pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = None if path in self.self_capped else max_body_bytes(path)
        if limit is not None:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            declared = declared_length(headers)
            if declared is not None and declared > limit:
                await self._refuse(scope, receive, send, too_large(limit))
                return

        deadline = asyncio.get_running_loop().time() + self.read_timeout
        received = 0
        complete = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyRefused(too_slow(self.read_timeout)) from None
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if limit is not None and received > limit:
                raise BodyRefused(too_large(limit))
            complete = not message.get("more_body", False)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except BodyRefused as refused:
            # Raised outside FastAPI's routes (an ASGI middleware reading the body).
            if started:
                raise
            await self._refuse(scope, receive, send, refused.error)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, error: BoomerangError
    ) -> None:
        request = Request(scope)
        for prefix, page in self.refusal_pages:
            if request.url.path.startswith(prefix):
                response = await page(request, error)
                break
        else:
            response = error_response(request, error)
        await response(scope, receive, send)
