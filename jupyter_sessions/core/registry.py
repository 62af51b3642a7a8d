"""The kernel's registry of open sessions, by id and by owning cell.

One registry per kernel process (:func:`registry`). It is the only place that
knows which cell owns which session; the cell binding asks it to close a cell's
sessions, the diagnostics read it, and anyone may subscribe to its events (the
outputs, the frontend channel, the side panel, tests). Closed sessions whose
release left something running (:class:`StillRunning`) stay listed in
``lingering()`` until it ends.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from .callbacks import call_each
from .lifecycle import Lifecycle, SessionState
from .session import Session

EventKind = Literal["added", "state", "removed"]


@dataclass(frozen=True)
class Event:
    """One change in the registry, as delivered to subscribers."""

    kind: EventKind
    session_id: str
    session_kind: str
    cell: str | None
    state: SessionState


Listener = Callable[[Event], None]


class Registry:
    """Open sessions of one kernel. Thread safe; listeners run outside the lock.

    Listeners run on the thread that caused the change; a failing listener is
    logged and does not stop the others or the change itself.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sessions: dict[str, Session] = {}
        self._lingering: dict[str, Session] = {}
        self._listeners: list[Listener] = []
        # Short, readable ids that never repeat within one kernel process.
        self._ids = (f"{os.getpid():x}-{n}" for n in itertools.count(1))

    def add(self, session: Session, cell: str | None) -> Lifecycle:
        """Register ``session`` as owned by ``cell`` and attach its lifecycle."""
        with self._lock:
            if session._lifecycle is not None:
                raise ValueError(f"{session!r} was opened before; open a new instance instead")
            lifecycle = Lifecycle(
                next(self._ids), session.kind, cell, self._state_changed, self._closed
            )
            session._lifecycle = lifecycle
            self._sessions[lifecycle.id] = session
        self._emit("added", lifecycle, lifecycle.state)
        return lifecycle

    def get(self, session_id: str) -> Session | None:
        """The open session with this id, or None."""
        with self._lock:
            return self._sessions.get(session_id)

    def all(self) -> list[Session]:
        """Open sessions, oldest first."""
        with self._lock:
            return list(self._sessions.values())

    def lingering(self) -> list[Session]:
        """Closed sessions something of which still runs, oldest first (derived when asked)."""
        with self._lock:
            found = list(self._lingering.items())
        ended = [
            sid for sid, s in found if s._lifecycle is None or not s._lifecycle.still_running()
        ]
        with self._lock:
            for session_id in ended:
                self._lingering.pop(session_id, None)
        return [s for sid, s in found if sid not in ended]

    def owned_by(self, cells: Iterable[str]) -> list[Session]:
        """Open sessions owned by any of ``cells``, oldest first."""
        wanted = set(cells)
        return [s for s in self.all() if s.cell is not None and s.cell in wanted]

    def close(self, sessions: Iterable[Session]) -> int:
        """Close ``sessions`` newest first; returns how many this call closed."""
        closed = 0
        for session in reversed(list(sessions)):
            lifecycle = session._lifecycle
            if lifecycle is not None and lifecycle.close():
                closed += 1
        return closed

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` on every change; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _state_changed(self, lifecycle: Lifecycle, state: SessionState) -> None:
        self._emit("state", lifecycle, state)

    def _closed(self, lifecycle: Lifecycle) -> None:
        with self._lock:
            session = self._sessions.pop(lifecycle.id, None)
            if session is not None and lifecycle.still_running():
                self._lingering[lifecycle.id] = session
        self._emit("removed", lifecycle, lifecycle.state)

    def _emit(self, kind: EventKind, lifecycle: Lifecycle, state: SessionState) -> None:
        event = Event(kind, lifecycle.id, lifecycle.kind, lifecycle.cell, state)
        with self._lock:
            listeners = list(self._listeners)
        call_each(listeners, event, what=f"Session event {event}")


_registry = Registry()


def registry() -> Registry:
    """The registry of this kernel process."""
    return _registry
