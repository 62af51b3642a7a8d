"""One session's life: its states, its teardowns, and closing it exactly once.

:class:`Lifecycle` is what the registry attaches to a session when it is opened;
every kind's state changes, releases and end go through it, under its lock, so a
close from any thread runs once, releases newest first, logs what fails and goes
on. What "still running after close" means (:class:`StillRunning`) is decided here
too, once, for every kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .callbacks import call_each, call_logged

log = logging.getLogger(__name__)


class SessionState(str, Enum):
    """Where a session is in its life; names follow ChimeraX tasks.

    PENDING (registered, starting) -> RUNNING -> TERMINATING -> TERMINATED.
    A kind may end a running session on its own as FINISHED, FAILED or CRASHED;
    it stays listed (with its error) until its owner closes it. A closed session
    stays TERMINATING while something it started still runs (see StillRunning).
    """

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"

    @property
    def ended(self) -> bool:
        """True once nothing of the session runs any more."""
        return self in _ENDED


_ENDED = frozenset(
    {SessionState.TERMINATED, SessionState.FINISHED, SessionState.FAILED, SessionState.CRASHED}
)


class SessionError(RuntimeError):
    """A session could not do what was asked; the message says what to do instead."""


@dataclass(frozen=True)
class StillRunning:
    """What a teardown returns when it asked something to stop that has not stopped yet.

    A thread that ignores its stop flag, a process that ignores SIGTERM: the session
    is closed (its output retired, its cell free), but it is listed by ``sessions()``
    and ``print_info()`` as TERMINATING with ``why`` until ``running()`` is False.
    ``running`` is asked each time the sessions are listed, from any thread.
    """

    why: str
    running: Callable[[], bool]
    since: float = field(default_factory=time.monotonic)


Teardown = tuple[Callable[..., object], tuple[Any, ...]]
Notify = Callable[["Lifecycle", SessionState], None]
Watcher = Callable[[SessionState], object]
Closed = Callable[["Lifecycle"], None]


class Lifecycle:
    """The state, owner and teardowns of one opened session.

    Created by the registry when a session is opened. Thread safe: any thread may
    close a session (kernel main thread on re-run, a comm thread on a button click,
    the Bokeh server thread from a widget callback). ``notify`` is called outside
    the lock after every change of state, then every ``watch`` callback; ``on_closed``
    once, after close released everything, then every ``when_closed`` callback.
    """

    def __init__(
        self, session_id: str, kind: str, cell: str | None, notify: Notify, on_closed: Closed
    ) -> None:
        self.id = session_id
        self.kind = kind
        self.cell = cell
        self.created = time.monotonic()
        self.error: str | None = None
        # A page showed the session's view (its output rendered live): only a page can
        # keep a picture of it for the saved notebook.
        self.shown = False
        # Why it closed when no person asked (its time to live ran out), for its note.
        self.why_closed: str | None = None
        self._state = SessionState.PENDING
        self._closed = False
        self._teardowns: list[Teardown] = []
        self._after_close: list[Callable[[], object]] = []
        self._close_done = False  # close() has released everything: when_closed runs at once
        self._watchers: list[Watcher] = []
        self._remaining: list[StillRunning] = []
        self._lock = threading.Lock()
        self._notify = notify
        self._on_closed = on_closed

    @property
    def state(self) -> SessionState:
        """The current state; TERMINATING while a closed session's remains still run."""
        if self._closed and self._state.ended and self.still_running():
            return SessionState.TERMINATING
        return self._state

    @property
    def closed(self) -> bool:
        """True once close() was called, whatever state the session ended in."""
        return self._closed

    def still_running(self) -> str | None:
        """Why something released by close still runs, or None once all of it ended."""
        with self._lock:
            self._remaining = [r for r in self._remaining if r.running()]
            remaining = list(self._remaining)
        if not remaining:
            return None
        now = time.monotonic()
        return "; ".join(
            f"{r.why}: still running {now - r.since:.1f} s after it was closed" for r in remaining
        )

    def start(self, start: Callable[[], None]) -> bool:
        """Run a kind's ``_start`` and settle the state: the one way to open (and reopen).

        If ``start`` raises, the session is FAILED with the error (the cause's, when
        the kind chained one), everything deferred so far is released, and the
        exception propagates. Returns True if the session runs, False if it was
        closed while it started.
        """
        try:
            start()
        except BaseException as exc:
            cause = exc.__cause__ or exc
            self.set_state(SessionState.FAILED, error=f"{type(cause).__name__}: {cause}")
            raise
        return self.set_state(SessionState.RUNNING)

    def defer(self, fn: Callable[..., object], *args: Any) -> None:
        """Remember how to release a resource; teardowns run newest first.

        A session that was closed (or ended) meanwhile holds nothing: then ``fn``
        runs at once, on this thread, so a resource acquired during a close is
        never lost.
        """
        with self._lock:
            held = not (self._closed or self._state.ended)
            if held:
                self._teardowns.append((fn, args))
        if not held:
            self._run_teardowns([(fn, args)])

    def when_closed(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once the session is closed and released (at once if it is).

        Asked while another thread is closing the session, ``fn`` waits for that close
        to finish and runs on its thread, so it sees the final state (an output's note
        says TERMINATED, not TERMINATING) and nothing still held.
        """
        with self._lock:
            if not self._close_done:
                self._after_close.append(fn)
                return
        call_logged(fn, what=f"After {self.kind} session {self.id} closed")

    def watch(self, fn: Watcher) -> None:
        """Call ``fn(state)`` after each change of state until the session is closed.

        For what shows the state (an output showing why its session failed); it
        runs on the thread that changed the state, outside the lock.
        """
        with self._lock:
            if not self._closed:
                self._watchers.append(fn)

    def set_state(self, state: SessionState, error: str | None = None) -> bool:
        """Move to ``state`` unless the session has ended or is closing; True if it moved.

        Entering an ended state releases everything at once: an ended session holds
        nothing, even before its owner closes it.
        """
        with self._lock:
            if self._closed or self._state.ended:
                return False
            self._state = state
            if error is not None:
                self.error = error
        self._changed(state)
        if state.ended:
            self._release()
        return True

    def reset(self) -> None:
        """Release everything and go back to PENDING, for a restart; SessionError if closed."""
        with self._lock:
            if self._closed:
                raise SessionError(f"session {self.id} is closed; open a new one instead")
        self._release()
        with self._lock:
            self._state = SessionState.PENDING
            self.error = None
        self._changed(SessionState.PENDING)

    def close(self) -> bool:
        """Release everything once; True for the call that did it, False for repeats."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            self._watchers = []
            live = not self._state.ended
            if live:
                self._state = SessionState.TERMINATING
        if live:
            self._changed(SessionState.TERMINATING)
        self._release()
        if live:
            self._state = SessionState.TERMINATED
            self._changed(SessionState.TERMINATED)
        self._on_closed(self)
        with self._lock:
            after, self._after_close = self._after_close, []
            self._close_done = True
        call_each(after, what=f"After {self.kind} session {self.id} closed")
        return True

    def _changed(self, state: SessionState) -> None:
        self._notify(self, state)
        with self._lock:
            watchers = list(self._watchers)
        call_each(watchers, state, what=f"{self.kind} session {self.id} going {state.value}")

    def _release(self) -> None:
        """Run and forget the teardowns, newest first."""
        with self._lock:
            teardowns, self._teardowns = self._teardowns, []
        self._run_teardowns(list(reversed(teardowns)))

    def _run_teardowns(self, teardowns: list[Teardown]) -> None:
        """Run each teardown; log a failure and go on; keep what answers StillRunning."""
        for fn, args in teardowns:
            outcome = call_logged(fn, *args, what=f"Releasing {self.kind} session {self.id}")
            if isinstance(outcome, StillRunning):
                log.warning("%s session %s: %s", self.kind, self.id, outcome.why)
                with self._lock:
                    self._remaining.append(outcome)
