"""Child processes that end with the process that started them (`boomerang demo`'s app and
worker): stopped in turn when it stops, and on Linux told by the kernel when it dies without
a chance to stop them (killed outright)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

# Set in a child's environment: the pid of the parent it must not outlive.
PARENT_ENV = "BOOMERANG_STOP_WITH_PARENT"
_PR_SET_PDEATHSIG = 1


def child_environment(env: dict[str, str]) -> dict[str, str]:
    """`env` for a child that must stop with this process (see `follow_parent`)."""
    return {**env, PARENT_ENV: str(os.getpid())}


def follow_parent() -> None:
    """In a child started with `child_environment`: get SIGTERM when the parent dies (Linux's
    PR_SET_PDEATHSIG), and stop now if it already has. Grandchildren do not inherit it."""
    parent = os.environ.pop(PARENT_ENV, None)
    if parent is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        return  # not fatal: the parent still stops its children when it stops
    if os.getppid() != int(parent):
        # The parent died before the request took effect: nobody is left to stop us.
        sys.exit(0)


def stop_children(processes: Sequence[subprocess.Popen[bytes]], *, grace: float = 10.0) -> None:
    """SIGTERM each (their own graceful shutdown), then SIGKILL what is still there after
    `grace` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


def sigterm_as_interrupt() -> None:
    """SIGTERM from now on does what Ctrl-C does: under asyncio.run the main task is cancelled
    (its `finally` blocks stop the children), elsewhere KeyboardInterrupt is raised; either way
    the process then exits through its atexit handlers (which stop embedded services)."""

    def forward(signum: int, frame: object) -> None:
        signal.raise_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, forward)
