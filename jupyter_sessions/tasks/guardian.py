"""A job's process group dies with its kernel, even when the kernel is SIGKILLed.

A killed kernel (the OOM killer, ``kill -9``, a crash) runs no teardown, and a
job's processes lead a process group of their own, out of the kernel's reach. So
the first job a kernel launches also starts a guardian: a tiny Python process
(standard library only) whose stdin is a pipe from the kernel. The kernel writes
``+PGID`` when a job's group starts and ``-PGID`` once it is gone. When the pipe
ends, the kernel is gone, however it went: the guardian SIGKILLs every group
still listed, then exits. A kernel that exits cleanly closed its jobs first, so
its guardian finds nothing left to kill.

The guardian leads a session of its own, so an interrupt sent to the kernel's
process group (or a kill of that group) does not reach it. Works on Linux and
macOS alike: it needs only pipes and ``killpg``.

Threads: ``watch``/``forget`` from any thread (a job's thread, a closing thread).
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from typing import IO

from ..core.runtime import at_shutdown

log = logging.getLogger(__name__)

_SCRIPT = """
import os, signal, sys
groups = set()
for line in sys.stdin:  # "+PGID" or "-PGID", one per line, until the kernel is gone
    pgid = int(line[1:])
    (groups.add if line[0] == "+" else groups.discard)(pgid)
for pgid in groups:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
"""

_lock = threading.Lock()
_guardian: subprocess.Popen[bytes] | None = None


def start() -> None:
    """Start this kernel's guardian now, if it is not running, so a launch need not wait."""
    with _lock:
        _stdin()


def watch(pgid: int) -> None:
    """Kill process group ``pgid`` if this kernel dies before :func:`forget`."""
    _tell(f"+{pgid}")


def forget(pgid: int) -> None:
    """Process group ``pgid`` is gone (or no longer ours): leave it alone."""
    if _guardian is not None:  # else nothing was ever watched
        _tell(f"-{pgid}")


def _tell(line: str) -> None:
    with _lock:
        stdin = _stdin()
        try:
            stdin.write(f"{line}\n".encode())
            stdin.flush()
        except (BrokenPipeError, ValueError):
            log.warning(
                "The job guardian is gone; a SIGKILLed kernel may now leave job processes behind"
            )


def _stdin() -> IO[bytes]:
    """The running guardian's stdin, started on first use (called under ``_lock``)."""
    global _guardian
    if _guardian is None or _guardian.poll() is not None:
        _guardian = subprocess.Popen(
            [sys.executable, "-I", "-c", _SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        at_shutdown(_stop)
    assert _guardian.stdin is not None
    return _guardian.stdin


def _stop() -> None:
    """At shutdown, after every job closed: end the guardian (its pipe ends)."""
    global _guardian
    with _lock:
        guardian, _guardian = _guardian, None
    if guardian is None:
        return
    assert guardian.stdin is not None
    with contextlib.suppress(OSError):
        guardian.stdin.close()
    try:
        guardian.wait(5.0)
    except subprocess.TimeoutExpired:
        guardian.kill()
        guardian.wait(5.0)
