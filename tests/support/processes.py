"""The processes tests start and watch: is one alive, end one, a free port for a server."""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import psutil


def alive(pid: int | None) -> bool:
    """True while process ``pid`` runs (a zombie, exited but not reaped, is not running)."""
    if pid is None:
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def terminate(process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """SIGTERM ``process``, SIGKILL it if it is still there after ``timeout`` s; reap it."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def free_port() -> int:
    """A loopback TCP port nothing listens on now (a server started next binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
