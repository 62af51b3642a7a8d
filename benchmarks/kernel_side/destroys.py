"""What bench_browser's kernels stamp, in wall-clock time (``time.time()``, the page's clock).

:func:`install` wraps Bokeh's ``ServerSession.destroy`` (the real one runs) to
stamp when each server session's destruction began and returned: the kernel's
count of live server sessions drops right after it returns. It also logs full
(generation 2) garbage collections, which hold the GIL and so delay everything.

Threads: ``destroy`` runs on whichever thread runs the side's Bokeh server (the
embedded server's thread, or the kernel's main thread for ``show(app)``); the
harness's questions (:func:`wait`, :data:`MARKS`) arrive on a subshell thread, so
they answer while a cell computes.
"""

from __future__ import annotations

import collections
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

from bokeh.server.session import ServerSession

DESTROYED: dict[str, tuple[float, float]] = {}  # server session id -> destroy() began, returned
MARKS: dict[str, float] = {}  # "heard" / "closed" -> first time, cleared by the harness per rep
FULL_GC: collections.deque[list[float | None]] = collections.deque(maxlen=1000)  # [start, end]

_destroyed = threading.Condition()


def install() -> None:
    """Stamp every ``ServerSession.destroy`` and every full collection (idempotent)."""
    if not hasattr(ServerSession, "_bench_destroy"):
        real_destroy: Callable[[ServerSession], None] = ServerSession.destroy
        # Wrapped, not replaced: the real destroy runs.
        setattr(ServerSession, "_bench_destroy", real_destroy)  # noqa: B010

        def stamped_destroy(self: ServerSession) -> None:
            began = time.time()
            try:
                real_destroy(self)
            finally:
                with _destroyed:
                    DESTROYED[self.id] = (began, time.time())
                    _destroyed.notify_all()

        setattr(ServerSession, "destroy", stamped_destroy)  # noqa: B010
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def wait(ids: list[str], deadline: float) -> dict[str, tuple[float, float] | None]:
    """Block until each of ``ids`` was destroyed or ``time.time()`` passes ``deadline``;
    the (began, returned) stamps of each, None for one not destroyed."""
    with _destroyed:
        while not all(i in DESTROYED for i in ids):
            left = deadline - time.time()
            if left <= 0:
                break
            _destroyed.wait(left)
        return {i: DESTROYED.get(i) for i in ids}


def mark(name: str) -> None:
    """Stamp ``name`` in MARKS, unless it is stamped already (any thread)."""
    MARKS.setdefault(name, time.time())


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        FULL_GC.append([time.time(), None])
    elif FULL_GC and FULL_GC[-1][1] is None:
        FULL_GC[-1][1] = time.time()


def full_gc_ms(since: float, until: float) -> float:
    """Milliseconds of full collections that overlapped [since, until]."""
    spans = [
        (s, e)
        for s, e in list(FULL_GC)
        if s is not None and e is not None and e > since and s < until
    ]
    return sum((min(e, until) - max(s, since)) * 1000 for s, e in spans)
