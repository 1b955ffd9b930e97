"""Every HTTP request gets an id, bound to every log line written while it is served and sent
back as X-Request-Id. A caller's own X-Request-Id (a reverse proxy's) is kept when it is a
plain token, so one id follows the request through the proxy's logs and ours."""

from __future__ import annotations

import re
import secrets

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_ACCEPTABLE = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


def request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER and _ACCEPTABLE.fullmatch(value):
            return str(value.decode())
    return secrets.token_hex(8)


class RequestIds:
    """ASGI middleware, outermost: binds `request_id` for the request's log lines."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=rid):
            await self.app(scope, receive, send_with_id)
