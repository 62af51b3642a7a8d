"""What every session kind shares: the ``Session`` base class, the contract for kinds.

A session is anything a cell starts that lives on after the cell ran. Each kind
(Bokeh, PyMOL, interpreter, task, owned object) subclasses :class:`Session`. The
contract has three parts, in this order in the class:

- what a kind must give: ``_start()``, which acquires the session's resources and
  says how to release each with ``_defer()``. ``_start`` is abstract: a kind without
  it cannot be made (``TypeError`` naming ``_start``);
- what a kind may add, for how it shows and what it says, each with a default:
  ``_view``, ``_controls``, ``_last_words``, ``_pictured``, ``_label``, ``_info``,
  ``_ended_error``;
- what the core gives a kind to call: ``_end``, ``_ensure_running``, ``_restart``,
  ``_note_error``.

Everything else (who owns it, when it closes, in which order things are released,
what happens when releasing fails, what "still running after close" means) is
decided by its ``Lifecycle`` and the registry, once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from .lifecycle import Lifecycle, SessionError, SessionState, StillRunning

__all__ = ["Session", "SessionError", "SessionState", "StillRunning"]

log = logging.getLogger(__name__)


class Session(ABC):
    """Base of every session kind: something a cell starts and owns.

    Open it with ``open_session(s)``; it closes when its cell is re-run, its output
    cleared, the cell deleted, its close button pressed, ``s.close()`` is called or
    the kernel shuts down, whichever comes first, exactly once.

    Writing a kind (CONTRIBUTING.md's "Writing a session kind" says it in full): give
    ``_start()``, which acquires and ``_defer``-s each release; add what shows where
    the defaults don't do (``_view()``, ``_info()``, ...). Like IPython's
    ``_repr_html_``, the underscore keeps these hooks out of a user's completions;
    they are the documented contract. Subclasses need not call ``Session.__init__``:
    the lifecycle is attached by ``open_session``.
    """

    kind: ClassVar[str] = "session"
    _lifecycle: Lifecycle | None = None

    # -- what a kind must give: how it starts, and how what it took is released --------

    @abstractmethod
    def _start(self) -> None:
        """Acquire the session's resources, and ``_defer`` how to release each.

        Every kind gives it. Runs once per open (or restart), on the opener's thread.
        Raise to refuse: the session goes FAILED, whatever was ``_defer``-ed so far
        is released, and the exception reaches the cell.
        """

    def _defer(self, fn: Callable[..., object], *args: Any) -> None:
        """Register ``fn(*args)`` to run when the session closes or ends (newest first).

        Any thread. Registered after the session closed, ``fn`` runs at once. ``fn``
        may return :class:`StillRunning` when what it stopped has not ended yet.
        """
        self._opened().defer(fn, *args)

    # -- what a kind may add: how it shows and what it says (each has a default) --------

    #: The kind's view is a picture a page keeps in the saved notebook (a plot): the
    #: note of one no page ever showed says that none was kept.
    _pictured: ClassVar[bool] = False

    def _view(self) -> tuple[dict[str, Any], str]:
        """What the cell shows: (kind-specific view data, HTML fallback)."""
        return {}, f"<pre>{self!r}</pre>"

    def _controls(self) -> list[Any]:
        """Live ipywidgets shown under the close button (a task's progress bar).

        Called once, on the main thread, when the output shows; the widgets are
        closed with the output. The kind may update them from any thread.
        """
        return []

    def _last_words(self) -> str:
        """What the closed note keeps besides the session's name and state (a task's last
        progress line), plain text; "" for nothing. Called once, as the note is made."""
        return ""

    def _label(self) -> str:
        """The words beside the session's Close button (plain text)."""
        return f"{type(self).__name__} {self.id}"

    def _info(self) -> dict[str, Any]:
        """Kind-specific diagnostics for ``sessions()`` and ``print_info()``."""
        return {}

    def _ended_error(self) -> SessionError:
        """The error for using a session that ended on its own; a kind names its remedy."""
        return SessionError(
            f"{self!r} is not running ({self.error or 'it ended'}); open "
            f"a new one: open_session({type(self).__name__}(...))"
        )

    # -- what the core gives a kind to call ---------------------------------------------

    def _end(self, state: SessionState, error: str | None = None) -> bool:
        """The kind ended on its own (FINISHED, FAILED, CRASHED): release everything now.

        Any thread. False (and nothing happens) if the session was closed or had
        ended already, so a late report of a death never touches a restarted session.
        """
        if not state.ended:
            raise ValueError(f"_end() takes an ended state, not {state.value}")
        lifecycle = self._lifecycle
        moved = lifecycle is not None and lifecycle.set_state(state, error=error)
        if moved and state is not SessionState.FINISHED:
            log.warning("%s %s %s: %s", type(self).__name__, self.id, state.value, error)
        return moved

    def _ensure_running(self) -> None:
        """Raise unless the session runs now: before open, after close, after its end."""
        name = type(self).__name__
        lifecycle = self._lifecycle
        if lifecycle is None:
            raise SessionError(f"open it first: s = open_session({name}(...))")
        if lifecycle.closed:
            raise SessionError(f"{self!r} is closed; open a new one: open_session({name}(...))")
        state = lifecycle.state
        if state.ended:
            raise self._ended_error()
        if state is not SessionState.RUNNING:
            raise SessionError(f"{self!r} is {state.value}, not running yet; try again")

    def _restart(self) -> None:
        """Release everything and start again, in the same cell, with the same id.

        For kinds that offer ``restart()`` (a crashed worker, a hung interpreter).
        Same contract as opening: if ``_start`` raises, the session is FAILED and
        the exception propagates.
        """
        lifecycle = self._opened()
        lifecycle.reset()
        lifecycle.start(self._start)

    def _note_error(self, error: str) -> None:
        """Record an error that does not end the session (a failing callback), any thread."""
        self._opened().error = error

    # -- what a user of any kind has --------------------------------------------------

    @property
    def id(self) -> str | None:
        """The session's id in the kernel's registry; None until opened."""
        return self._lifecycle.id if self._lifecycle else None

    @property
    def state(self) -> SessionState:
        """The session's current state (PENDING until opened)."""
        return self._lifecycle.state if self._lifecycle else SessionState.PENDING

    @property
    def closed(self) -> bool:
        """True once the session was closed (by its owner or by ``close()``)."""
        return self._lifecycle is not None and self._lifecycle.closed

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

    def _opened(self) -> Lifecycle:
        if self._lifecycle is None:
            raise SessionError("open the session with open_session() first")
        return self._lifecycle

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id or '(not opened)'} {self.state.value}>"
