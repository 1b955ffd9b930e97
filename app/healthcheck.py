"""`boomerang healthcheck`: is this container's Boomerang alive? One image runs both roles, so
the check finds out which one runs here: the web role answers /healthz on its port; the worker
role touches a file of its own host under DATA_DIR while it runs, waiting for Redis included
(jobs/worker.py), and keeps a heartbeat of its host in Redis (jobs/heartbeat.py).

Liveness only: a PostgreSQL or Redis outage does not make either role unhealthy (both ride it
out), so an orchestrator never restarts every container for what a restart cannot fix."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.error
import urllib.request
from enum import StrEnum
from pathlib import Path

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


def worker_alive_file(data_dir: Path) -> Path:
    """Per host too: DATA_DIR may be a volume several containers share."""
    return data_dir / f"worker-alive.{socket.gethostname()}"


def touch_worker_alive(data_dir: Path) -> None:
    """Called by the worker every few seconds while it runs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    worker_alive_file(data_dir).touch()


def worker_alive_locally(data_dir: Path) -> bool:
    try:
        age = time.time() - worker_alive_file(data_dir).stat().st_mtime
    except OSError:
        return False
    return age < WORKER_HEARTBEAT_TTL


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


def healthy(role: Role, *, port: int, redis_url: str | None, data_dir: Path) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    if role in (Role.AUTO, Role.WEB) and web_answers(port):
        return True, f"web: /healthz answers on port {port}"
    if role is Role.WEB:
        return False, f"web: nothing answers /healthz on port {port}"
    if worker_alive_locally(data_dir):
        return True, "worker: heartbeat fresh"
    if redis_url is None:
        return False, "worker: REDIS_URL is not set, so the worker's heartbeat cannot be read"
    if asyncio.run(worker_alive(redis_url)):
        return True, "worker: heartbeat fresh"
    return False, (
        f"no web server on port {port} and no worker heartbeat for {socket.gethostname()} "
        f"in the last {WORKER_HEARTBEAT_TTL} s"
    )
