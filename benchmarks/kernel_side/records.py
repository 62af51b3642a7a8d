"""What bench_bokeh's kernels record, in kernel time (``time.monotonic()``).

Loaded in both sides' kernels outside any cell; :func:`install` registers the
IPython hooks that stamp the start and end of every execution. The harness reads
these records with its ``value()`` requests.

Threads: ticks are logged by whichever thread runs a side's periodic callbacks
(the embedded server's thread for jupyter-sessions, the kernel's main thread for
Bokeh's ``show(app)``); the execution hooks and busy cells run on the kernel's
main thread; :func:`watch_destroyed` starts a watcher thread of its own.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from bokeh.server.session import ServerSession
from IPython import get_ipython

K = TypeVar("K")

TICKS: dict[str | None, list[float]] = {}  # app key -> in-kernel times of its periodic callback
STARTS: dict[str | None, float] = {}  # execute_request msg_id -> IPython started it (pre_execute)
ENDS: dict[str | None, float] = {}  # execute_request msg_id -> IPython finished it (post_execute)
DESTROYED: dict[str | None, float] = {}  # app key -> all its Bokeh server sessions destroyed
BUSY: list[tuple[float, float]] = []  # (start, end) of every busy cell

# The re-run loop turns tick logging off, so that the log is not counted as growth.
_recording = True


def install() -> None:
    """Stamp the start and end of every execution (kernel's main thread, once)."""
    shell = get_ipython()
    assert shell is not None, "records are kept in an IPython kernel"
    shell.events.register("pre_execute", _pre_execute)
    shell.events.register("post_execute", _post_execute)


def _remember(log: dict[K, float], key: K, value: float, keep: int = 256) -> None:
    """Record ``value`` under ``key``, keeping the newest ``keep`` entries."""
    log[key] = value
    while len(log) > keep:
        del log[next(iter(log))]


def _msg_id() -> str | None:
    """The msg_id of the execute_request the kernel runs now."""
    parent = getattr(get_ipython(), "parent_header", None) or {}
    msg_id = (parent.get("header") or {}).get("msg_id")
    return None if msg_id is None else str(msg_id)


def _pre_execute() -> None:
    _remember(STARTS, _msg_id(), time.monotonic())


def _post_execute() -> None:
    _remember(ENDS, _msg_id(), time.monotonic())


def remember(log: dict[K, float], key: K) -> None:
    """Record now (``time.monotonic()``) under ``key`` in ``log``, a bounded log."""
    _remember(log, key, time.monotonic())


def tick(key: str | None) -> None:
    """Log one periodic-callback run of app ``key`` (any thread)."""
    if _recording:
        TICKS.setdefault(key, []).append(time.monotonic())


def tick_count(key: str | None) -> int:
    """How many ticks of app ``key`` are logged."""
    return len(TICKS.get(key, []))


def stop_recording() -> None:
    """Stop logging ticks (the re-run loop: its log would count as memory growth)."""
    global _recording
    _recording = False


def new_plot() -> tuple[figure, ColumnDataSource]:
    """The plot both sides show: a 10-point line, 400 x 200."""
    source = ColumnDataSource(data=dict(x=list(range(10)), y=np.random.rand(10)))
    plot = figure(height=200, width=400)
    plot.line("x", "y", source=source)
    return plot, source


def watch_destroyed(
    key: str | None, server_sessions: Sequence[ServerSession], timeout: float = 10.0
) -> None:
    """Record in DESTROYED[key] the moment every one of ``server_sessions`` is destroyed.

    Polls on a watcher thread (every 2 ms, for at most ``timeout`` s); records
    nothing if they outlive it.
    """

    def run() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.destroyed for s in server_sessions):
                DESTROYED[key] = time.monotonic()
                return
            time.sleep(0.002)

    threading.Thread(target=run, name="bench-watch", daemon=True).start()


def rerun_record(key: str | None, first_msg: str | None, stopped: float | None) -> dict[str, Any]:
    """A re-run's start (``first_msg``'s pre_execute), the old app's stop time, and the old
    app's ticks (taken out of the log)."""
    return {"t0": STARTS.get(first_msg), "stopped": stopped, "ticks": TICKS.pop(key, [])}


def busy(seconds: float) -> None:
    """The busy cell: sleep ``seconds`` on the kernel's main thread, and log when."""
    start = time.monotonic()
    time.sleep(seconds)
    BUSY.append((start, time.monotonic()))


def busy_ticks(key: str | None) -> list[tuple[int, float]]:
    """For each busy cell so far: (ticks of app ``key`` inside it, its seconds); forgets them."""
    ticks = TICKS.get(key, [])
    rows = [(sum(b0 <= t <= b1 for t in ticks), b1 - b0) for b0, b1 in BUSY]
    BUSY.clear()
    return rows


def kernel_stats() -> dict[str, int]:
    """Threads and open comms, after ``gc.collect()``."""
    import comm

    gc.collect()
    return {"threads": threading.active_count(), "comms": len(comm.get_comm_manager().comms)}
