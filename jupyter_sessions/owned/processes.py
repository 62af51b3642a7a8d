"""Process trees: ending one whole (what one costs is ``core/cost.py``).

A cell's ``subprocess.Popen(["bash", "-c", "sleep 300 & sleep 301 & wait"])`` is
three processes: ending only ``bash`` leaves both ``sleep``s running, reparented
to init, where nothing finds them again. So the tree is read *before* anything
is signalled, and every process of it gets SIGTERM, then SIGKILL after the grace.
The root is waited for by its own object (``Popen.wait``, ``Process.join``):
reaping it with psutil would leave that object believing it still runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable

import psutil

from ..core.cost import tree as _tree
from ..core.session import StillRunning

#: Seconds between SIGTERM and SIGKILL.
GRACE = 2.0
#: How long a release waits for a well-behaved tree before leaving it to the timer.
PATIENCE = 0.2

Waited = Callable[[float], bool]


def end_tree(pid: int, waited: Waited) -> StillRunning | None:
    """SIGTERM to ``pid`` and all its descendants (and its group, if it leads one).

    ``waited(timeout)`` is True once the root ended (and was reaped). What still
    runs after :data:`PATIENCE` gets SIGKILL from a timer thread after the grace,
    and is answered with :class:`StillRunning` meanwhile.
    """
    tree = _tree(pid)
    group = _leads_group(pid)
    _signal_all(pid, tree, group, signal.SIGTERM)
    waited(PATIENCE)
    left = _alive(tree[1:], PATIENCE)
    if not left and waited(0):
        return None
    killer = threading.Timer(GRACE, _kill, (pid, tree, group, waited))
    killer.daemon = True
    killer.name = f"jupyter-sessions-kill-{pid}"
    killer.start()

    def running() -> bool:
        return not waited(0) or bool(_alive(tree[1:], 0))

    why = f"pid {pid} (or a child) ignores SIGTERM; SIGKILL {GRACE:.0f} s after it"
    return StillRunning(why, running)


def _alive(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    if not processes:
        return []
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if _running(p)]


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _kill(pid: int, tree: list[psutil.Process], group: bool, waited: Waited) -> None:
    if waited(0) and not _alive(tree[1:], 0):
        return
    _signal_all(pid, tree, group, signal.SIGKILL)
    waited(GRACE)


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _signal_all(pid: int, tree: list[psutil.Process], group: bool, sig: signal.Signals) -> None:
    """``sig`` to every process of ``tree``, and to ``pid``'s group when it leads one."""
    for process in tree:
        # psutil checks the pid was not reused by another process since the tree was read.
        with contextlib.suppress(psutil.Error):
            process.send_signal(sig)
    if group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)


def poll_waited(running: Callable[[], bool]) -> Waited:
    """A ``waited`` for a root reaped elsewhere (asyncio's child watcher): poll ``running``."""

    def waited(timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while running() and time.monotonic() < deadline:
            time.sleep(0.01)
        return not running()

    return waited
