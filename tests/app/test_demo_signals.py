"""`boomerang demo` stopped by SIGTERM or Ctrl-C (SIGINT) takes everything it started with it:
the app, the worker, and its embedded PostgreSQL and Redis; their ports are free again."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.groups import WHOLE_PRODUCT
from tests.support.services import free_port

pytestmark = WHOLE_PRODUCT

REPO = Path(__file__).resolve().parents[2]
UP_LINE = "Boomerang on http://127.0.0.1:"


def _parents() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    children = _parents()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class DemoRun:
    """`boomerang demo` on embedded services under `cwd`, its output collected as it comes."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("SHOPIFY_", "DATABASE_", "REDIS_", "TOKEN_", "APP_", "SMTP_", "XDG_RUNTIME")
            )
        }
        # WORKER_METRICS_PORT: not 8001, which another test's worker may hold.
        env.update(
            PYTHONPATH=str(REPO), BOOMERANG_DEMO_LOG_LEVEL="WARNING", WORKER_METRICS_PORT="0"
        )
        self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "app.cli", "demo", "--port", str(self.port), "--days", "1"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self.up = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if UP_LINE in line:
                self.up.set()

    def wait_up(self, seconds: float) -> None:
        assert self.up.wait(seconds), "".join(self.output)

    def postmaster_pid(self) -> int:
        pid_file = self.cwd / ".boomerang" / "postgres" / "postmaster.pid"
        return int(pid_file.read_text().splitlines()[0])

    def redis_port(self) -> int:
        return int((self.cwd / ".boomerang" / "redis" / "port").read_text())

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


def _leftovers(pids: set[int]) -> list[str]:
    return [
        Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ") for pid in pids if _alive(pid)
    ]


@pytest.fixture
def demo_dir() -> Iterator[Path]:
    """Outside pytest's base temporary directory: every pytest run starting on the machine
    sets that back to 0700, and the demo's embedded PostgreSQL runs as its own system user
    (under root), which must traverse to its data (as tests/chaos does)."""
    path = Path(tempfile.mkdtemp(prefix="boomerang-demo-signals-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_demo_stops_everything_it_started(demo_dir: Path, signum: int) -> None:
    demo = DemoRun(demo_dir)
    started: set[int] = set()
    try:
        demo.wait_up(120)
        postmaster = demo.postmaster_pid()
        started = _descendants(demo.process.pid) | {postmaster} | _descendants(postmaster)
        redis_port = demo.redis_port()
        # The app, the worker and both servers are there before the signal.
        assert len(started) >= 4, started
        assert not _port_free(demo.port)
        assert not _port_free(redis_port)

        demo.process.send_signal(signum)
        demo.process.wait(60)

        deadline = time.monotonic() + 10
        while _leftovers(started) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _leftovers(started) == [], "".join(demo.output)
        assert _port_free(demo.port)
        assert _port_free(redis_port)
    finally:
        demo.close()
        for pid in started:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
