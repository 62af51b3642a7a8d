"""What exists once per kernel, and the public functions that act on it.

Threads (the one place that says which thread runs what):

- **Kernel main thread**: cells, so ``open_session`` and every session's
  ``_start``; the cell binding's ``pre_run_cell`` hook (closes re-run and deleted
  cells' sessions before the cell runs); ``atexit`` shutdown.
- **Embedded Bokeh server thread** (``jupyter-sessions-bokeh``): every Bokeh
  document, ``setup_model``, ``periodic_callback``, functions given to
  ``BokehSession.update``. Other threads reach it only through
  ``EmbeddedServer.call``.
- **Comm handlers** (main thread, or a subshell thread with ipykernel 7 and
  JupyterLab >= 4.4): the close button and the frontend extension's messages
  (``channel.py``). They only read the registry and call ``Session.close``,
  which is thread safe.
- **PyMOL reaper thread** (``jupyter-sessions-pymol-reaper``, only while isolated
  PyMOL workers live): notices a worker's death at once and moves its session to
  CRASHED from that thread. PyMOL commands run on the caller's thread, one at a
  time per session.
- **PersistentProcess commands** run on the caller's thread, one at a time per
  shared kernel; ``interrupt()`` works from any thread; a child kernel found dead
  moves every handle on it to CRASHED from the thread that found it: the command's
  thread, or between commands the pool's watcher (``jupyter-sessions-process-watch``,
  only while persistent kernels live).
- **Task threads** (``jupyter-sessions-task-<id>``, or the threads of the task's
  executor): ``Task.run``, ``Job.monitor``, ``progress()``. A task's end moves its
  session to FINISHED or FAILED from that thread; ``on_finish`` is handed to the
  kernel main thread with :func:`on_main_thread` and runs between cells.

Closing is thread safe and runs once, whichever thread gets there first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .bokeh_server import EmbeddedServer
from .registry import Registry
from .session import Session, SessionState

log = logging.getLogger(__name__)

S = TypeVar("S", bound=Session)

_registry = Registry()
_server: EmbeddedServer | None = None
_server_lock = threading.Lock()


def registry() -> Registry:
    """The kernel's session registry."""
    return _registry


def bokeh_server() -> EmbeddedServer:
    """The kernel's embedded Bokeh server, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            _server = EmbeddedServer()
        if not _server.running:
            _server.start()
        return _server


def allow_page_origin(origin: str) -> None:
    """Let the page at ``origin`` (from the frontend's comm) connect to Bokeh views."""
    global _server
    with _server_lock:
        if _server is None:
            _server = EmbeddedServer()
        _server.allow_origin(origin)


def running_bokeh_server() -> EmbeddedServer | None:
    """The embedded Bokeh server if it runs, without starting it."""
    server = _server
    return server if server is not None and server.running else None


def on_main_thread(fn: Callable[..., object], *args: Any) -> None:
    """Run ``fn(*args)`` on the kernel's main thread, as soon as no cell is running.

    For results of background work that user code expects where cells run (a
    task's ``on_finish``): the kernel's main loop runs it between cells. Without
    a kernel (a script, terminal IPython) there is no such loop, and ``fn`` runs
    at once on the calling thread. A failing ``fn`` is logged.
    """
    loop = _main_loop()
    if loop is None or threading.current_thread() is threading.main_thread():
        _call_logged(fn, *args)
        return
    loop.add_callback(_call_logged, fn, *args)  # thread safe, unlike the rest of tornado


def _main_loop() -> Any:
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    return getattr(kernel, "io_loop", None)


def _call_logged(fn: Callable[..., object], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.warning("%r failed on the kernel main thread", fn, exc_info=True)


def open_session(session: S) -> S:
    """Start ``session``, make the running cell its owner and show it there.

    Runs on the kernel's main thread. The session closes when its cell is re-run,
    cleared or deleted, its close button is pressed, ``close()`` is called or the
    kernel shuts down. If it cannot start, it is left FAILED with nothing running
    and the error is raised here, so the traceback shows in the cell.
    """
    from . import cells, output

    if not isinstance(session, Session):
        raise TypeError(
            f"open_session() takes a Session (such as a BokehSession subclass instance), "
            f"not {type(session).__name__}"
        )
    cells.ensure_installed()
    lifecycle = _registry.add(session, cells.current_cell())
    try:
        session._start()
    except BaseException as exc:
        cause = exc.__cause__ or exc
        lifecycle.set_state(SessionState.FAILED, error=f"{type(cause).__name__}: {cause}")
        raise
    lifecycle.set_state(SessionState.RUNNING)
    if cells.in_ipython():
        output.show(session)
    return session


def close_session(session: Session) -> None:
    """Close ``session`` and release what it holds; closing twice is harmless."""
    if not isinstance(session, Session):
        raise TypeError(f"close_session() takes a Session, not {type(session).__name__}")
    session.close()


def close_all() -> int:
    """Close every open session of this kernel, newest first; returns how many."""
    return _registry.close(_registry.all())


def shutdown() -> None:
    """Close every session and stop the Bokeh server (kernel exit, extension unload)."""
    closed = close_all()
    server = running_bokeh_server()
    if server is not None:
        server.stop()
    log.debug("jupyter-sessions shut down: %d sessions closed", closed)
