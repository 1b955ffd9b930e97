"""Serve an ASGI app on a real loopback socket inside the running loop, for tests that need
real HTTP (a browser, the simulator's webhook sender)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import uvicorn


@asynccontextmanager
async def serve(
    app: Any, *, port: int = 0, lifespan: Literal["on", "off"] = "on"
) -> AsyncIterator[str]:
    """Yields the base URL once the server accepts connections (port 0: any free port); the
    app's lifespan runs inside it."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan)
    )
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped before starting")
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        await task
