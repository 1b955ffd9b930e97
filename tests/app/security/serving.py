"""A real socket in front of the app, served by uvicorn as `boomerang serve` configures it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn

from app.main import create_app
from app.settings import Settings
from app.web.server import HEADER_TIMEOUT_ENV, uvicorn_options
from tests.support.network import NoNetwork


@asynccontextmanager
async def serve_like_boomerang(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[int, uvicorn.Server]]:
    """(port, server) of the app on loopback, with `boomerang serve`'s uvicorn options; its
    lifespan runs inside. The environment the options set is restored after the test."""
    monkeypatch.setenv(HEADER_TIMEOUT_ENV, str(settings.header_read_timeout_seconds))
    app = create_app(settings, http_transport=NoNetwork())
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="critical", **uvicorn_options(settings)
    )
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        assert not task.done(), "server stopped before starting"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, server
    finally:
        server.should_exit = True
        await task
