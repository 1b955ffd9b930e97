"""`boomerang healthcheck`: is this container's Boomerang alive? One image runs both roles, so
the check finds out which one runs here: the web role answers /healthz on its port; the worker
role keeps a heartbeat of its own host in Redis (jobs/heartbeat.py)."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from enum import StrEnum

from redis.asyncio import Redis
from redis.exceptions import RedisError

WORKER_HEARTBEAT_TTL = 60  # seconds a heartbeat stays; the worker writes one every 10 s


class Role(StrEnum):
    AUTO = "auto"
    WEB = "web"
    WORKER = "worker"


def worker_heartbeat_key() -> str:
    """Per host (a container's hostname is its own), so one replica cannot vouch for another."""
    return f"boomerang:worker:heartbeat:{socket.gethostname()}"


def web_answers(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/healthz", timeout=timeout
        ) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


async def worker_alive(redis_url: str) -> bool:
    """A heartbeat of this host's worker is there: it expires WORKER_HEARTBEAT_TTL after the
    last one written, so being there is being recent."""
    client = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        beat = await client.get(worker_heartbeat_key())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()
    return beat is not None


def healthy(role: Role, *, port: int, redis_url: str | None) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    if role in (Role.AUTO, Role.WEB) and web_answers(port):
        return True, f"web: /healthz answers on port {port}"
    if role is Role.WEB:
        return False, f"web: nothing answers /healthz on port {port}"
    if redis_url is None:
        return False, "worker: REDIS_URL is not set, so the worker's heartbeat cannot be read"
    if asyncio.run(worker_alive(redis_url)):
        return True, "worker: heartbeat fresh"
    return False, (
        f"no web server on port {port} and no worker heartbeat for {socket.gethostname()} "
        f"in the last {WORKER_HEARTBEAT_TTL} s"
    )
