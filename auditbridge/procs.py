"""Background processes auditbridge starts (the object store, a Prefect server and worker): liveness and stop.

Each runs in its own process group, so stopping it stops its children too: SIGTERM, a grace period, SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie child that still answers kill(0) does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_group(pid: int, timeout: float = 15.0) -> bool:
    """SIGTERM to the group of `pid`, wait up to `timeout`, then SIGKILL. False when nothing was running."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.2)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        while pid_alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
    _reap(pid)
    return True


def kill_group(pid: int) -> None:
    """SIGKILL at once and wait until it is gone (a crash, as tests simulate one)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while pid_alive(pid):
        time.sleep(0.05)
    _reap(pid)
