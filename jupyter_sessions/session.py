"""What every session kind shares: its states and its one lifecycle.

A session is anything a cell starts that lives on after the cell ran. Each kind
(Bokeh, PyMOL, process, task) subclasses :class:`Session`, acquires its resources
in ``_start()`` and registers how to release each with ``_defer()``. Everything
else (who owns it, when it closes, in which order things are released, what
happens when releasing fails) is decided here and in the registry, once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum
from typing import Any, ClassVar

log = logging.getLogger(__name__)


class SessionState(str, Enum):
    """Where a session is in its life; names follow ChimeraX tasks.

    PENDING (registered, starting) -> RUNNING -> TERMINATING -> TERMINATED.
    A kind may end a running session on its own as FINISHED, FAILED or CRASHED;
    it stays listed (with its error) until its owner closes it.
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


Notify = Callable[["Lifecycle", SessionState], None]
Closed = Callable[["Lifecycle"], None]


class Lifecycle:
    """The state, owner and teardowns of one opened session.

    Created by the registry when a session is opened. Thread safe: any thread may
    close a session (kernel main thread on re-run, a comm thread on a button click,
    the Bokeh server thread from a widget callback). ``notify`` is called outside
    the lock after every change of state, ``on_closed`` once, after close released
    everything.
    """

    def __init__(
        self, session_id: str, kind: str, cell: str | None, notify: Notify, on_closed: Closed
    ) -> None:
        self.id = session_id
        self.kind = kind
        self.cell = cell
        self.created = time.monotonic()
        self.error: str | None = None
        self._state = SessionState.PENDING
        self._closed = False
        self._teardowns: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        self._lock = threading.Lock()
        self._notify = notify
        self._on_closed = on_closed

    @property
    def state(self) -> SessionState:
        """The current state."""
        return self._state

    @property
    def closed(self) -> bool:
        """True once close() was called, whatever state the session ended in."""
        return self._closed

    def defer(self, fn: Callable[..., object], *args: Any) -> None:
        """Remember how to release a resource; teardowns run in reverse order."""
        with self._lock:
            self._teardowns.append((fn, args))

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
        self._notify(self, state)
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
        self._notify(self, SessionState.PENDING)

    def close(self) -> bool:
        """Release everything once; True for the call that did it, False for repeats."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            live = not self._state.ended
            if live:
                self._state = SessionState.TERMINATING
        if live:
            self._notify(self, SessionState.TERMINATING)
        self._release()
        if live:
            self._state = SessionState.TERMINATED
            self._notify(self, SessionState.TERMINATED)
        self._on_closed(self)
        return True

    def _release(self) -> None:
        """Run and forget the teardowns, newest first; log each failure and go on."""
        with self._lock:
            teardowns, self._teardowns = self._teardowns, []
        for fn, args in reversed(teardowns):
            try:
                fn(*args)
            except Exception:
                log.warning("Releasing %s session %s: %r failed", self.kind, self.id, fn,
                            exc_info=True)


class Session:
    """Base of every session kind: something a cell starts and owns.

    Open it with ``open_session(s)``; it closes when its cell is re-run, its output
    cleared, the cell deleted, its close button pressed, ``s.close()`` is called or
    the kernel shuts down, whichever comes first, exactly once.

    A kind overrides ``_start()`` (acquire resources, ``_defer`` their release),
    and may override ``_view()`` (what the cell shows), ``_controls()`` (live
    widgets under it) and ``_info()`` (extra diagnostics). Subclasses need not
    call ``Session.__init__``: the lifecycle is attached by ``open_session``.
    """

    kind: ClassVar[str] = "session"
    _lifecycle: Lifecycle | None = None

    @property
    def id(self) -> str | None:
        """The session's id in the kernel's registry; None until opened."""
        return self._lifecycle.id if self._lifecycle else None

    @property
    def state(self) -> SessionState:
        """The session's current state (PENDING until opened)."""
        return self._lifecycle.state if self._lifecycle else SessionState.PENDING

    @property
    def cell(self) -> str | None:
        """The id of the cell that owns the session, or None (lives until closed)."""
        return self._lifecycle.cell if self._lifecycle else None

    @property
    def error(self) -> str | None:
        """The last error the session reported, if any."""
        return self._lifecycle.error if self._lifecycle else None

    def close(self) -> None:
        """Close the session and release everything it holds; safe to call again."""
        if self._lifecycle is not None:
            self._lifecycle.close()

    # -- for session kinds -------------------------------------------------------

    def _restart(self) -> None:
        """Release everything and start again, in the same cell, with the same id.

        For kinds that offer ``restart()`` (a crashed worker, a hung interpreter).
        Same contract as opening: if ``_start`` raises, the session is FAILED and
        the exception propagates.
        """
        if self._lifecycle is None:
            raise SessionError("open the session with open_session() first")
        self._lifecycle.reset()
        try:
            self._start()
        except BaseException as exc:
            self._lifecycle.set_state(SessionState.FAILED, error=f"{type(exc).__name__}: {exc}")
            raise
        self._lifecycle.set_state(SessionState.RUNNING)

    def _start(self) -> None:
        """Acquire the session's resources. Runs once, on the thread of open_session.

        Raise to refuse: the session goes FAILED, whatever was ``_defer``-ed so far
        is released, and the exception reaches the cell.
        """

    def _defer(self, fn: Callable[..., object], *args: Any) -> None:
        """Register ``fn(*args)`` to run when the session closes (reverse order)."""
        if self._lifecycle is None:
            raise SessionError("open the session with open_session() first")
        self._lifecycle.defer(fn, *args)

    def _view(self) -> tuple[dict[str, Any], str]:
        """What the cell shows: (kind-specific view data, HTML fallback)."""
        return {}, f"<pre>{self!r}</pre>"

    def _info(self) -> dict[str, Any]:
        """Kind-specific diagnostics for ``sessions()`` and ``print_info()``."""
        return {}

    def _controls(self) -> list[Any]:
        """Live ipywidgets shown under the close button (a task's progress bar).

        Called once, on the main thread, when the output shows; the widgets are
        closed with the output. The kind may update them from any thread.
        """
        return []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id or '(not opened)'} {self.state.value}>"
