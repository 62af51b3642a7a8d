"""Capture: a cell owns what its code starts, with no change to the code.

``%load_ext jupyter_sessions`` switches it on (:func:`enable`); ``%unload_ext``
off. Importing the package captures nothing. Switched on, the catchers
(``catchers.py``) hand every process, thread, server, task, pool, cluster,
callback and figure that starts to :func:`catch`; the rules of ``whose.py`` say
which cell's run it is. What a cell starts while it runs waits in its run and,
if it still runs when the cell ends, is owned exactly as ``own(obj)`` owns: one
``Owned`` session each, released by ``releases.py`` with every other session
(re-run, clear, delete, Close, ``close_all()``, kernel shutdown). What ended
within the cell (``subprocess.run``, a finished task) is never listed. What a
cell's thread or task starts after the cell ended is owned at once.

Threads: the IPython hooks run on the kernel's main thread; :func:`catch` runs on
whichever thread started the thing, and owns it from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from types import FrameType
from typing import Any, TypeVar, overload

from ..core import runtime
from . import catchers, things, whose
from .releases import captured_releaser
from .session import Owned

log = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_shell: Any = None
#: The run of the cell on the main thread now, or None between cells.
_current: whose.CellRun | None = None


def enabled() -> bool:
    """True while capture is switched on."""
    return _shell is not None


def enable(shell: Any) -> None:
    """Switch capture on for ``shell``'s kernel (``%load_ext``); again does nothing."""
    global _shell
    with _lock:
        if _shell is not None:
            return
        _shell = shell
    catchers.install(catch)
    shell.events.register("pre_run_cell", _pre_run)
    shell.events.register("post_run_cell", _post_run)
    _adopt_running_cell(shell)
    log.debug("Capture switched on")


def disable() -> None:
    """Switch capture off: every original back, nothing more caught; owned stays owned."""
    global _shell, _current
    with _lock:
        shell, _shell = _shell, None
    if shell is None:
        return
    for name, hook in (("pre_run_cell", _pre_run), ("post_run_cell", _post_run)):
        with contextlib.suppress(ValueError):  # not registered: nothing to undo
            shell.events.unregister(name, hook)
    catchers.uninstall()
    _current = None


def current_run() -> whose.CellRun | None:
    """The run of the cell the main thread runs now (None between cells or elsewhere)."""
    return _current if threading.current_thread() is threading.main_thread() else None


def catch(obj: object, frame: FrameType | None) -> None:
    """A catcher saw ``obj`` start: hold it for the run that owns it (any thread).

    Never raises: a failure is logged, and the caller (the user's cell, a library)
    goes on as if capture were not there.
    """
    try:
        _catch(obj, frame)
    except Exception:
        log.warning("Capture of %s failed; it is not owned", type(obj).__name__, exc_info=True)


def _catch(obj: object, frame: FrameType | None) -> None:
    if whose.holder(obj) is not None:
        return  # caught already (a server's add_sockets, called twice)
    verdict = whose.whose(obj, _current, frame)
    run = verdict.run
    if run is None or run.kept:
        return
    if not whose.hold(obj, run):
        _own(run, obj)


def _own(run: whose.CellRun, obj: object) -> None:
    """Own ``obj`` by ``run``'s cell, if it still runs; its release lets go of it."""
    if run.kept or not things.running(obj):
        whose.forget(obj)
        return
    how, release = captured_releaser(obj)
    runtime.adopt(Owned(obj, how, release, captured=True), run.cell)


def _pre_run(info: Any) -> None:
    """Before a cell: a new run for it; the kernel's loop gets the task factory."""
    global _current
    if threading.current_thread() is not threading.main_thread():
        return  # a subshell's code: not a cell of the notebook
    cell = getattr(info, "cell_id", None)
    _current = whose.CellRun(cell, _current_task()) if isinstance(cell, str) else None
    try:
        _watch_loop()
    except Exception:  # IPython would print it into the cell
        log.warning("Capture: watching the kernel's loop failed", exc_info=True)


def _post_run(result: Any) -> None:
    """After a cell: own what it started that still runs, in the order it started.

    And let go of what cells own that has ended by itself since (a thread that
    returned, a process that exited): nothing is left to release, or to list.
    """
    global _current
    if threading.current_thread() is not threading.main_thread():
        return
    run, _current = _current, None
    try:
        Owned.close_ended()
    except Exception:  # IPython would print it into the cell
        log.warning("Capture: letting go of what ended failed", exc_info=True)
    if run is None:
        return
    for obj in whose.finish(run):
        try:
            _own(run, obj)
        except Exception:
            whose.forget(obj)
            log.warning("Capture: owning %s failed", type(obj).__name__, exc_info=True)


@overload
def keep() -> None: ...
@overload
def keep(obj: T) -> T: ...


def keep(obj: object = None) -> object:
    """Let ``obj`` outlive its cell, or with no argument all the running cell starts.

    ``keep(server)``: the cell lets go of ``server`` (caught, or given to ``own``),
    which then runs until it stops by itself or the kernel ends. ``keep()`` in a
    cell: nothing this run of the cell starts is captured. Returns ``obj``.
    """
    if obj is None:
        run = current_run()
        for thing in whose.finish(run, keep=True) if run is not None else ():
            whose.forget(thing)
        return None
    whose.forget(obj)
    Owned.let_go_of(obj)
    return obj


def _adopt_running_cell(shell: Any) -> None:
    """The cell running ``%load_ext`` starts its run now: its pre_run_cell came too early."""
    global _current
    if threading.current_thread() is not threading.main_thread():
        return
    parent = getattr(shell, "parent_header", None) or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    _watch_loop()
    if isinstance(cell, str):
        _current = whose.CellRun(cell, _current_task())


def _watch_loop() -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # ipykernel 6 runs a plain cell with no loop running
        return
    catchers.watch_loop(loop)


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
