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

Threads: ``run()``, ``progress()`` and ``terminating()`` on the task's thread;
``on_finish()`` on the kernel main thread, between cells (``kernel.on_main_thread``).
"""

from __future__ import annotations

import concurrent.futures
import html
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from . import kernel
from .session import Session, SessionError, SessionState

log = logging.getLogger(__name__)

T = TypeVar("T", bound="Task")

# Progress reaches the page at most this often; the last value is always shown.
_PROGRESS_EVERY_S = 0.05


@dataclass
class _Progress:
    fraction: float | None = None
    message: str = ""
    sent: float = 0.0


@dataclass
class _Runtime:
    """What exists only while a task is open in this kernel; never pickled."""

    stop: threading.Event = field(default_factory=threading.Event)
    future: concurrent.futures.Future[Any] | None = None
    worker: threading.Thread | None = None
    progress: _Progress = field(default_factory=_Progress)
    widgets: _Widgets | None = None
    stop_requested: float | None = None


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
            raise TypeError(f"executor must be a concurrent.futures.Executor, "
                            f"not {type(executor).__name__}")
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
        """True once the owner asked the task to stop: return from ``run()`` soon."""
        rt = self._rt
        return rt is not None and rt.stop.is_set()

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Show how far the task is: ``fraction`` in [0, 1] (None: unknown) and a message.

        Any thread. Cheap to call often: the page gets at most 20 updates a second;
        a call within 50 ms of the last update shows with the next one, or at the end.
        """
        if fraction is not None and not 0.0 <= fraction <= 1.0:
            raise ValueError(f"progress fraction must be between 0 and 1, not {fraction!r}")
        rt = self._rt
        if rt is None:
            return
        rt.progress.fraction, rt.progress.message = fraction, str(message)
        now = time.monotonic()
        if now - rt.progress.sent >= _PROGRESS_EVERY_S:
            rt.progress.sent = now
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
        self._rt = _Runtime()
        self._defer(self._stop_run)
        self._rt.future = self._submit()
        self._rt.future.add_done_callback(self._run_ended)

    def _submit(self) -> concurrent.futures.Future[Any]:
        if self.executor is not None:
            return self.executor.submit(_invoke, self)
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        thread = threading.Thread(target=_run_in_thread, args=(self, future),
                                  name=f"jupyter-sessions-task-{self.id}", daemon=True)
        thread.start()
        return future

    def _run_ended(self, future: concurrent.futures.Future[Any]) -> None:
        """The future's done callback (runs once): record how run() ended."""
        rt, lifecycle = self._rt, self._lifecycle
        if rt is None or lifecycle is None:
            return
        if future.cancelled():  # by us when closing; else by its executor's shutdown
            lifecycle.set_state(SessionState.FAILED, error="cancelled by its executor")
            return
        exc = future.exception()
        if exc is None:
            self.result = future.result()
            lifecycle.set_state(SessionState.FINISHED)
        else:
            self.exception = exc
            lifecycle.set_state(SessionState.FAILED, error=f"{type(exc).__name__}: {exc}")
            self._show_text("".join(traceback.format_exception(exc)), "stderr")
        self._show_status()
        kernel.on_main_thread(self._finish)

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

    def _stop_run(self) -> None:
        """Teardown (any thread): ask run() to stop and give it ``terminate_grace`` s."""
        rt = self._rt
        if rt is None or rt.future is None:
            return
        if rt.stop_requested is None:
            rt.stop_requested = time.monotonic()
        rt.stop.set()
        rt.future.cancel()  # a task still queued in an executor never starts
        if rt.future.done() or threading.current_thread() is rt.worker:
            return
        try:
            rt.future.result(self.terminate_grace)
        except concurrent.futures.TimeoutError:
            self._ignores_terminating()
        except BaseException:  # run()'s own exception: reported by _run_ended
            pass

    def _ignores_terminating(self) -> None:
        log.warning("%s %s ignored terminating() for %.1f s; its thread still runs",
                    type(self).__name__, self.id, self.terminate_grace)
        if self.id is not None:
            _lingering[self.id] = self

    # -- the cell's view ---------------------------------------------------------------

    def _controls(self) -> list[Any]:
        if self._rt is None:
            return []
        self._rt.widgets = _Widgets()
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


def _run_in_thread(task: Task, future: concurrent.futures.Future[Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(_invoke(task))
    except BaseException as exc:  # a task's failure is data: FAILED, shown in its cell
        future.set_exception(exc)


# Closed tasks whose run() did not return within their grace, by id: listed by
# print_info() until their run() ends (checked when listed, so no end is missed).
_lingering: dict[str, Task] = {}


def lingering() -> list[tuple[Task, str]]:
    """Closed tasks still running because they ignore ``terminating()``, each with why."""
    now = time.monotonic()
    found = []
    for task_id, task in list(_lingering.items()):
        rt = task._rt
        if task._lifecycle is None or rt is None or rt.future is None or rt.future.done():
            _lingering.pop(task_id, None)  # it did end, late
            continue
        since = now - (rt.stop_requested or now)
        why = f"ignores terminating(): still running {since:.1f} s after it was closed"
        found.append((task, why))
    return found


class _Widgets:
    """A task's status line, progress bar and output area in its cell.

    Updated from any thread: setting a widget trait only sends a comm message.
    """

    def __init__(self) -> None:
        import ipywidgets as widgets

        self._bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                          layout=widgets.Layout(width="12em"))
        self._label = widgets.HTML()
        self._line = widgets.HBox([self._bar, self._label])
        self._out = widgets.Output()

    def parts(self) -> list[Any]:
        return [self._line, self._out]

    def status(self, state: str, fraction: float | None, message: str) -> None:
        percent = "" if fraction is None else f" {fraction:.0%}"
        self._bar.bar_style = {"FAILED": "danger", "FINISHED": "success"}.get(state, "")
        if fraction is not None:
            self._bar.value = fraction
        self._label.value = (f"<code>{html.escape(state)}</code>{percent} "
                             f"{html.escape(message)}")

    def append(self, text: str, stream: str) -> None:
        if stream == "stderr":
            self._out.append_stderr(text)
        else:
            self._out.append_stdout(text)

    def capture(self) -> Any:
        """Route ``print`` output to this task's cell (the main thread, between cells)."""
        import contextlib

        stack = contextlib.ExitStack()
        for name, redirect in (("stdout", contextlib.redirect_stdout),
                               ("stderr", contextlib.redirect_stderr)):
            stream = _Stream(self, name)
            stack.enter_context(redirect(stream))  # type: ignore[arg-type]
            stack.callback(stream.flush)
        return stack


class _Stream:
    """A file-like object writing whole lines into a task's output area.

    Lines, not writes: ``print(a, b)`` is four writes, each a widget update.
    """

    def __init__(self, widgets: _Widgets, name: str) -> None:
        self._widgets, self._name = widgets, name
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        head, newline, self._pending = self._pending.rpartition("\n")
        if newline:
            self._widgets.append(head + newline, self._name)
        return len(text)

    def flush(self) -> None:
        """Send what is left of the last line."""
        text, self._pending = self._pending, ""
        if text:
            self._widgets.append(text, self._name)
