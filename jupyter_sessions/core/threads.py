"""Which thread runs what: the one place that says it, and the one hand-over.

- **Kernel main thread**: cells, so ``open_session`` and every session's
  ``_start``; the cell binding's ``pre_run_cell`` hook (closes re-run and deleted
  cells' sessions before the cell runs); ``atexit`` shutdown (when no shutdown
  request came first: see the control thread); what
  :func:`on_main_thread` hands over (a task's ``on_finish``), between cells;
  the hand-over of what :func:`after_this_cell` defers.
- **IOPub thread** (ipykernel's): sends every message to the frontend; runs what
  the main thread defers with :func:`after_this_cell` once the cell's reply is
  sent: a Bokeh session's first view and a closed one's views are handed to the
  embedded server's thread, a closed session's output is retired.
- **Comm handlers** (main thread, or a subshell thread with ipykernel 7 and
  JupyterLab >= 4.4): the frontend channel's messages (``core/channel.py``). They
  only read the registry and call ``Session.close``, which is thread safe, so
  clearing an output closes its session even while another cell computes. The
  session widget's messages (its Close button, a view gone, its pipes) come on the
  main shell.
- **Capture** (``owned/capture.py``, after ``%load_ext``): its pre- and post-run
  hooks on the main thread (a cell's run starts; what it started is owned at its
  end); a catcher runs on whichever thread starts a thing (a cell's own thread
  or task starting a server later owns it from there, through the thread-safe
  registry).
- **Kernel control thread** (ipykernel 7; the main thread with ipykernel 6): a
  frontend's shutdown or restart request, which closes every session first
  (``runtime.shutdown``), while the kernel still runs.
- **Timer thread** (``jupyter-sessions-timer``, from the first :func:`call_later`
  on): runs delayed calls: a Bokeh session's first view when no page is connected
  to ask for it, closing a session no page watched for its time to live
  (``time_to_live.py``), and the check that lets silent pages go (``heartbeat.py``,
  only while a page is connected). One thread for all: ipykernel gives every thread that
  sends a message its own socket, and a thread per call kept about 15 KB of the
  kernel's memory each, for good (measured).
- **Embedded Bokeh server thread** (``jupyter-sessions-bokeh``): every Bokeh
  document, ``setup_model``, ``periodic_callback``, functions given to
  ``BokehSession.update``. Other threads reach it only through
  ``EmbeddedServer.call``.
- **PyMOL reaper thread** (``jupyter-sessions-pymol-reaper``, only while isolated
  PyMOL workers live): notices a worker's death at once and ends its session
  CRASHED from that thread. PyMOL commands run on the caller's thread, one at a
  time per session.
- **Persistent interpreter commands** run on the caller's thread, one at a time
  per shared kernel; ``interrupt()`` works from any thread; a child kernel found
  dead ends every handle on it CRASHED from the thread that found it: the
  command's thread, or between commands the pool's watcher
  (``jupyter-sessions-process-watch``, only while persistent kernels live).
- **Task threads** (``jupyter-sessions-task-<id>``, or the threads of the task's
  executor): ``Task.run``, ``Job.monitor``, ``progress()``. A task's end moves its
  session to FINISHED or FAILED from that thread.

Closing is thread safe and runs once, whichever thread gets there first; its
teardowns run on that thread. What they need not wait for (a Bokeh session's
views, the session's outputs) is finished by :func:`after_this_cell`: after the
reply when the closing thread is the main one, at once from any other.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from IPython import get_ipython

from .callbacks import call_logged


def on_main_thread(fn: Callable[..., object], *args: Any) -> None:
    """Run ``fn(*args)`` on the kernel's main thread, as soon as no cell is running.

    For results of background work that user code expects where cells run (a
    task's ``on_finish``): the kernel's main loop runs it between cells. Without
    a kernel (a script, terminal IPython) there is no such loop, and ``fn`` runs
    at once on the calling thread. A failing ``fn`` is logged.
    """
    loop = _main_loop()
    if loop is None or threading.current_thread() is threading.main_thread():
        call_logged(fn, *args)
        return
    loop.add_callback(call_logged, fn, *args)  # thread safe, unlike the rest of tornado


def after_this_cell(fn: Callable[..., object], *args: Any) -> None:
    """Run ``fn(*args)`` once the running cell has replied; from other threads, at once.

    For what a cell starts or ends but need not wait for (a Bokeh session's first
    view, taking down a closed session's views, retiring its output): done after
    the reply, it neither lengthens the cell nor competes with it for the GIL. The
    kernel's main loop runs the hand-over when the cell's handler is done (reply and
    idle status queued); the IOPub thread, which sends those, runs ``fn`` right
    after them: keep it short, hand real work to another thread. Called off the
    main thread (a comm on a subshell while a cell is busy), nothing of a cell waits
    on it, so it runs at once; so it does without a kernel. A failing ``fn`` is
    logged.
    """
    kernel = getattr(get_ipython(), "kernel", None)
    loop = getattr(kernel, "io_loop", None)
    iopub = getattr(kernel, "iopub_thread", None)
    call = functools.partial(call_logged, fn, *args)
    if loop is None or threading.current_thread() is not threading.main_thread():
        call()
    elif iopub is None:
        loop.add_callback(call)
    else:
        loop.add_callback(iopub.schedule, call)


def call_later(delay: float, fn: Callable[..., object], *args: Any) -> Callable[[], None]:
    """Run ``fn(*args)`` on the timer thread in ``delay`` s; returns what cancels it.

    A failing ``fn`` is logged. Calls due at once run in the order they were made.
    """
    return _timers.add(time.monotonic() + delay, functools.partial(call_logged, fn, *args))


class _Timers:
    """Delayed calls, all run by one daemon thread that lives once started."""

    def __init__(self) -> None:
        # Entries are [when, order, call]; a cancelled one's call is None.
        self._due: list[list[Any]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, when: float, call: Callable[[], object]) -> Callable[[], None]:
        entry = [when, next(self._order), call]
        with self._changed:
            heapq.heappush(self._due, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="jupyter-sessions-timer", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        return functools.partial(self._cancel, entry)

    def _cancel(self, entry: list[Any]) -> None:
        with self._changed:
            entry[2] = None

    def _run(self) -> None:
        while True:
            self._next()()

    def _next(self) -> Callable[[], object]:
        """Wait for the next call that is due and not cancelled."""
        with self._changed:
            while True:
                wait = self._due[0][0] - time.monotonic() if self._due else None
                if wait is None or wait > 0:
                    self._changed.wait(wait)
                    continue
                call: Callable[[], object] | None = heapq.heappop(self._due)[2]
                if call is not None:
                    return call


_timers = _Timers()


def _main_loop() -> Any:
    kernel = getattr(get_ipython(), "kernel", None)
    return getattr(kernel, "io_loop", None)
