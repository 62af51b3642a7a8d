"""Task: background work owned by a cell (after ChimeraX's tasks).

``t = open_session(MyTask())`` runs ``t.run()`` on a thread of its own (or on the
task's ``executor``) and shows a status line with a progress bar in the cell.
The cell owns it like any session: re-run, clear, delete, the close button or
kernel exit ask it to stop (``terminating()`` turns True), wait ``terminate_grace``
seconds for ``run()`` to return, and report it in ``print_info()`` if it did not.

States are the session states: PENDING while ``open_session`` starts it, RUNNING,
then FINISHED (``run()`` returned), FAILED (``run()`` raised; the traceback shows
in the cell) or TERMINATING -> TERMINATED (stopped by its owner).

ChimeraX's races, and why they cannot happen here:

- *state written unlocked from the worker*: every state change goes through the
  session's ``Lifecycle``, under its lock;
- *start() racing run()*: an ended state is final, so a ``run()`` that ends before
  ``open_session`` marks the task RUNNING stays FINISHED;
- *END fired twice*: the end is the future's done callback, which runs once, and
  ``on_finish`` is called from there only.

A task that ignores ``terminating()`` past its grace is the core's "still running"
outcome (``StillRunning``): closed, but listed as TERMINATING until ``run()`` ends.

Threads: ``run()``, ``progress()`` and ``terminating()`` on the task's thread;
``on_finish()`` on the kernel main thread, between cells (``threads.on_main_thread``).
"""

from __future__ import annotations

import concurrent.futures
import html
import logging
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from ..core.session import Session, SessionError, SessionState, StillRunning
from ..core.threads import on_main_thread
from . import running
from .progress import Progress, ProgressWidgets

log = logging.getLogger(__name__)

T = TypeVar("T", bound="Task")


@dataclass
class _Runtime:
    """What exists only while a task is open in this kernel; never pickled."""

    future: concurrent.futures.Future[Any] | None = None
    worker: threading.Thread | None = None
    progress: Progress = field(default_factory=Progress)
    widgets: ProgressWidgets | None = None


class Task(Session):
    """Background work owned by a cell. Subclass it and override :meth:`run`.

    ``run()`` should check ``self.terminating()`` regularly and return when it is
    True; ``self.progress(fraction, message)`` updates the cell's status line.
    Its return value becomes ``result``; ``on_finish()`` runs afterwards on the
    kernel main thread.

    ``executor``: any ``concurrent.futures.Executor`` (a thread pool, a Dask
    ``Client.get_executor()``); None, the default, is a daemon thread per task.
    On an executor in another process the task is pickled without its runtime:
    there ``terminating()`` stays False and ``progress()`` does nothing, and a
    stop can only cancel the task before it starts.
    """

    kind: ClassVar[str] = "task"
    #: Seconds close() waits for run() to return before reporting the task.
    terminate_grace: ClassVar[float] = 2.0

    executor: concurrent.futures.Executor | None = None
    result: Any = None
    exception: BaseException | None = None
    _rt: _Runtime | None = None

    def __init__(self, *, executor: concurrent.futures.Executor | None = None) -> None:
        if executor is not None and not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(
                f"executor must be a concurrent.futures.Executor, not {type(executor).__name__}"
            )
        self.executor = executor

    # -- to override -------------------------------------------------------------

    def run(self) -> Any:
        """The work. Runs once, on the task's thread; check ``terminating()`` often."""
        raise NotImplementedError

    def on_finish(self) -> None:
        """Called once after ``run()`` ended, however it ended, on the kernel main thread.

        ``self.state`` says how it ended; ``print()`` output shows in the task's cell.
        """

    def take_snapshot(self) -> dict[str, Any] | None:
        """Plain JSON data to recreate this task later, or None (the default: no snapshots).

        Opt in by returning a dict of JSON values; the default ``restore_snapshot``
        passes it to the constructor as keyword arguments.
        """
        return None

    @classmethod
    def restore_snapshot(cls: type[T], data: dict[str, Any]) -> T:
        """A new, unopened task from ``take_snapshot()``'s data; open it to run it."""
        if not isinstance(data, dict):
            raise TypeError(f"a task snapshot is a dict, not {type(data).__name__}")
        return cls(**data)

    # -- for the task's own code -------------------------------------------------

    def terminating(self) -> bool:
        """True once the owner asked the task to stop (it closed): return from ``run()`` soon."""
        return self.closed

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Show how far the task is: ``fraction`` in [0, 1] (None: unknown) and a message.

        Any thread. Cheap to call often: the page gets at most 20 updates a second;
        a call within 50 ms of the last update shows with the next one, or at the end.
        """
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            raise ValueError(f"progress fraction must be between 0 and 1, not {fraction!r}")
        rt = self._rt
        if rt is not None and rt.progress.report(fraction, str(message)):
            self._show_status()

    # -- for the task's owner ----------------------------------------------------

    def terminate(self) -> None:
        """Ask the task to stop and close it (same as ``close()``); safe to call again."""
        self.close()

    def terminated(self) -> bool:
        """True once nothing of the task runs (FINISHED, FAILED or TERMINATED)."""
        rt = self._rt
        done = rt is None or rt.future is None or rt.future.done()
        return self.state.ended and done

    def wait(self, timeout: float) -> Any:
        """Block until ``run()`` ends and return its result, or raise what it raised.

        TimeoutError if it runs longer than ``timeout`` seconds; the task goes on.
        """
        rt = self._rt
        if rt is None or rt.future is None:
            raise SessionError("open the task first: t = open_session(MyTask())")
        try:
            return rt.future.result(timeout)
        except concurrent.futures.CancelledError:
            raise SessionError(f"{self!r} was stopped before it started") from None

    def __getstate__(self) -> dict[str, Any]:
        # The lifecycle, thread and widgets belong to this kernel; an executor in
        # another process gets the task's own data only.
        state = dict(self.__dict__)
        for name in ("_lifecycle", "_rt", "executor"):
            state.pop(name, None)
        return state

    # -- lifecycle -----------------------------------------------------------------

    def _start(self) -> None:
        if type(self).run is Task.run:
            raise TypeError(f"{type(self).__name__} must override run() with the task's work")
        rt = self._rt = _Runtime()
        self._defer(self._stop_run)
        if self.executor is not None:
            rt.future = self.executor.submit(_invoke, self)
        else:
            # Known before run() starts, so that a close from anywhere, run() included,
            # finds the future to wait for.
            rt.future = concurrent.futures.Future()
            running.run_on_thread(rt.future, _invoke, self, name=f"jupyter-sessions-task-{self.id}")
        rt.future.add_done_callback(self._run_ended)

    def _run_ended(self, future: concurrent.futures.Future[Any]) -> None:
        """The future's done callback (runs once): record how run() ended."""
        if self._rt is None or self.id is None:
            return
        if future.cancelled():  # by us when closing; else by its executor's shutdown
            self._end(SessionState.FAILED, "cancelled by its executor")
            return
        exc = future.exception()
        if exc is None:
            self.result = future.result()
            self._end(SessionState.FINISHED)
        else:
            self.exception = exc
            self._end(SessionState.FAILED, f"{type(exc).__name__}: {exc}")
            self._show_text("".join(traceback.format_exception(exc)), "stderr")
        self._show_status()
        on_main_thread(self._finish)

    def _finish(self) -> None:
        """Kernel main thread: ``on_finish``, its printed output routed to the task's cell."""
        widgets = self._rt.widgets if self._rt is not None else None
        try:
            if widgets is None:
                self.on_finish()
                return
            with widgets.capture():
                self.on_finish()
        except Exception:
            log.warning("%r.on_finish() failed", self, exc_info=True)
            self._show_text(traceback.format_exc(), "stderr")

    def _stop_run(self) -> StillRunning | None:
        """Teardown (any thread): ``run()`` sees ``terminating()``; give it ``terminate_grace`` s.

        A ``run()`` still going after that is the core's "still running" outcome.
        """
        rt = self._rt
        if rt is None or rt.future is None:
            return None
        return running.stop(rt.future, self.terminate_grace, rt.worker)

    # -- the cell's view ---------------------------------------------------------------

    def _controls(self) -> list[Any]:
        if self._rt is None:
            return []
        self._rt.widgets = ProgressWidgets()
        self._show_status()
        return self._rt.widgets.parts()

    def _show_status(self) -> None:
        rt = self._rt
        if rt is None or rt.widgets is None:
            return
        progress = rt.progress
        rt.widgets.status(self.state.value, progress.fraction, progress.message)

    def _show_text(self, text: str, stream: str) -> None:
        rt = self._rt
        if rt is not None and rt.widgets is not None:
            rt.widgets.append(text, stream)

    def _view(self) -> tuple[dict[str, Any], str]:
        name = html.escape(type(self).__name__)
        return {"task": type(self).__name__}, f"<div><b>{name}</b> task {self.id}</div>"

    def _last_words(self) -> str:
        """The last progress line, which the progress bar showed until it closed."""
        return self._rt.progress.line() if self._rt is not None else ""

    def _info(self) -> dict[str, Any]:
        rt = self._rt
        if rt is None:
            return {}
        return {"progress": rt.progress.fraction, "message": rt.progress.message or None}


def _invoke(task: Task) -> Any:
    """What the worker runs: a module function, so executors can pickle it."""
    rt = task._rt
    if rt is not None:
        rt.worker = threading.current_thread()
    return task.run()
