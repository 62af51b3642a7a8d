"""Whose a thing is: the rules capture follows, in one place (docs/capture.md says them).

When a catcher sees something start (a process, a thread, a server, a task, ...),
:func:`whose` answers who owns it, from where it started, never from the heap:

1. **What a cell's code made belongs to that cell**: made on the kernel's main
   thread while the cell runs, by the cell's own asyncio task (directly, or
   through any library it calls). A callback of the kernel's event loop that
   runs meanwhile (another cell's server answering a request) is not the cell.
2. **What a thread or task a cell started makes later belongs to that cell**,
   whenever it makes it: the cell's run is remembered with each thread and task
   it started (weakly, gone with them).
3. **What an object makes belongs with that object**: made inside a method of
   something a cell owns (a pool of cell A whose worker starts in cell B's
   ``submit()``), or of something that will be owned as a whole (a cluster still
   in its ``__init__``), it is that object's to release, never captured apart.
4. **Shared helpers belong to no cell**: what the interpreter and libraries make
   once, on import or on first use, for everyone: what a module makes at its top
   level as it is imported (``distributed``'s offload executor), the event loop's
   default executor and asyncio's child watchers, multiprocessing's resource
   tracker and fork server, joblib/loky's reusable executor, tqdm's monitor
   thread, Panel's busy-counter sweep, and everything this package makes itself
   (its embedded Bokeh server, its sessions' threads). The kernel's own threads
   never start inside a cell.
5. **A cell may keep what it starts**: ``keep(obj)`` for one object, ``keep()``
   for everything this run of the cell starts (``session.py``).

The walk up the stack stops at the cell's own code, so it costs what the
library calls in between cost, and a catcher runs only when something starts.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from collections.abc import Collection
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from .catchers import catchable

#: Modules whose code makes helpers shared by every cell (rule 4): what starts with
#: one of them on the stack belongs to no cell.
SHARED_MODULES = (
    "asyncio.unix_events",  # child watchers' threads
    "multiprocessing.resource_tracker",
    "multiprocessing.forkserver",
    "joblib.externals.loky.",
    "loky.",
    "tqdm.",
    "jupyter_sessions.",  # ours: sessions and the embedded server release their own
)
#: Functions that make a shared helper on first use: (module, function).
SHARED_FACTORIES = frozenset(
    {
        ("asyncio.base_events", "run_in_executor"),  # the loop's default executor
        ("panel.io.state", "_schedule_busy_cleanup"),  # Panel's one busy-counter sweep
    }
)
#: Capture's own modules, which the stack walk passes over.
_CAPTURE_MODULES = ("jupyter_sessions.owned.capture", "jupyter_sessions.owned.catchers")


@dataclass(eq=False)
class CellRun:
    """One run of one cell: what it started, until it is owned at the cell's end."""

    cell: str
    task: asyncio.Task[Any] | None
    #: Things caught while the cell runs, owned when it ends if still running.
    pending: list[object] = field(default_factory=list)
    running: bool = True
    #: ``keep()`` ran in this run: nothing it starts is released with the cell.
    kept: bool = False


@dataclass(frozen=True)
class Verdict:
    """Who owns a thing that just started: ``run`` (None: no cell) and why."""

    run: CellRun | None
    why: str


_lock = threading.Lock()
_threads: weakref.WeakKeyDictionary[threading.Thread, CellRun] = weakref.WeakKeyDictionary()
_tasks: weakref.WeakKeyDictionary[asyncio.Task[Any], CellRun] = weakref.WeakKeyDictionary()
#: id(obj) -> the run that holds it (pending or owned): rule 3's "owned".
_held: dict[int, CellRun] = {}


def hold(obj: object, run: CellRun) -> bool:
    """``obj`` is held by ``run`` from now on; a thread or task passes its run on (rule 2).

    True if it waits in the run (the cell still runs), False if it is to be owned now.
    """
    with _lock:
        _held[id(obj)] = run
        if isinstance(obj, threading.Thread):
            _threads[obj] = run
        elif isinstance(obj, asyncio.Task):
            _tasks[obj] = run
        if run.running:
            run.pending.append(obj)
        return run.running


def forget(obj: object) -> None:
    """``obj`` is held by nobody any more (released, kept, or owned by hand)."""
    with _lock:
        run = _held.pop(id(obj), None)
        if run is not None:
            run.pending = [p for p in run.pending if p is not obj]
        if isinstance(obj, threading.Thread):
            _threads.pop(obj, None)
        elif isinstance(obj, asyncio.Task):
            _tasks.pop(obj, None)


def finish(run: CellRun, keep: bool = False) -> list[object]:
    """The cell's run ended (or ``keep()`` ran): what waits in it, now to own or forget."""
    with _lock:
        run.running = run.running and keep
        run.kept = run.kept or keep
        pending, run.pending = run.pending, []
    return pending


def holder(obj: object) -> CellRun | None:
    """The run that holds ``obj``, or None."""
    with _lock:
        return _held.get(id(obj))


def whose(obj: object, current: CellRun | None, frame: FrameType | None) -> Verdict:
    """Who owns ``obj``, which just started; ``frame`` is where it was started from."""
    context = _context_run(current)
    if context is None:
        return Verdict(None, "not started by a cell's code")
    found = _target_of(obj) or _enclosure(obj, frame, _cell_files())
    if found is not None:
        return found
    return Verdict(context, "started by the cell")


def _target_of(obj: object) -> Verdict | None:
    """Rule 3 for a thread: one that runs a method of a held object (``serve_forever``)."""
    target = getattr(obj, "_target", None) if isinstance(obj, threading.Thread) else None
    owner = getattr(target, "__self__", None)
    run = holder(owner) if owner is not None else None
    if run is None:
        return None
    return Verdict(None, f"runs a method of a {type(owner).__name__} of cell {run.cell}")


def _context_run(current: CellRun | None) -> CellRun | None:
    """Rules 1 and 2: the run whose code runs on this thread (and task) now."""
    thread = threading.current_thread()
    if thread is not threading.main_thread():
        with _lock:
            return _threads.get(thread)
    task = _current_task()
    if current is not None and current.running and (task is None or task is current.task):
        return current
    if task is None:
        return None
    with _lock:
        return _tasks.get(task)


def _enclosure(obj: object, frame: FrameType | None, cell_files: Collection[str]) -> Verdict | None:
    """Rules 3 and 4: the stack from where ``obj`` started up to the cell's code."""
    while frame is not None and frame.f_code.co_filename not in cell_files:
        module = frame.f_globals.get("__name__", "")
        if not module.startswith(_CAPTURE_MODULES):
            name = frame.f_code.co_name
            if name == "<module>":  # a module's top level, as it is imported
                return Verdict(None, f"made on import of {module}, for everyone")
            if module.startswith(SHARED_MODULES) or (module, name) in SHARED_FACTORIES:
                return Verdict(None, f"a shared helper ({module}.{name})")
            found = _method_of(obj, frame)
            if found is not None:
                return found
        frame = frame.f_back
    return None


def _method_of(obj: object, frame: FrameType) -> Verdict | None:
    """Rule 3: ``frame`` runs a method of an object that is, or will be, held as a whole."""
    code = frame.f_code
    if not code.co_argcount or code.co_varnames[0] != "self":
        return None
    owner = frame.f_locals.get("self")
    if owner is None or owner is obj:
        return None
    run = holder(owner)
    if run is not None:
        return Verdict(None, f"made by a {type(owner).__name__} of cell {run.cell}")
    if isinstance(owner, catchable()):
        return Verdict(None, f"made by {type(owner).__name__}")
    return None


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no event loop runs on this thread
        return None


def _cell_files() -> Collection[str]:
    """The files IPython compiled cells into: where the walk up the stack stops."""
    names = getattr(getattr(_shell(), "compile", None), "_filename_map", None)
    return names.keys() if isinstance(names, dict) else ()


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None
