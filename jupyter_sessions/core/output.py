"""The output every session shows in its cell: one bundle, one lifecycle.

The bundle carries the project's own mime type (rendered by the JupyterLab and
Notebook 7 extension, which shows the view and a Close button and tells the
kernel at once when the output goes away), the session's widget (``widget.py``:
the same view and Close button in every frontend that renders ipywidgets; left
out once every page connected to the kernel runs the extension), and HTML for
static viewers. A kind's extra controls (a task's progress bar) follow in
a small widget box of their own. When the session closes, however that happens,
every output of it is replaced by a one-line "closed" note: each output asks the
session's lifecycle to retire it once closed, so nothing here keeps a map of
sessions to find their displays again.
"""

from __future__ import annotations

import html
import threading
import uuid
from typing import Any

from IPython import get_ipython
from IPython.display import display, update_display

from .pictures import PICTURE_MIME, kept
from .session import Session, SessionState
from .threads import after_this_cell

MIME_TYPE = "application/vnd.jupyter-sessions.session.v1+json"


def in_ipython() -> bool:
    """True inside an IPython shell (a kernel or the terminal), where outputs show."""
    return get_ipython() is not None


def bundle(session: Session) -> dict[str, Any]:
    """The mime bundle that shows ``session`` in a cell."""
    view, fallback = session._view()
    data = {
        "version": 1,
        "session_id": session.id,
        "kind": session.kind,
        "state": session.state.value,
        "cell": session.cell,  # the page's clear of it says the session went (departures.ts)
        "label": session._label(),
        "view": view,
    }
    return {MIME_TYPE: data, "text/html": fallback, "text/plain": repr(session)}


def note_bundle(session: Session) -> dict[str, Any]:
    """The one-line note that replaces a session's view once it failed or closed.

    A failed or crashed session's note carries its error (for a Bokeh app whose
    ``setup_model`` raised, the traceback), so the cell says why. The page that shows
    the note keeps the last picture of the view under it (the extension's renderer);
    run with no page (nbclient, papermill), the note says none was kept.
    """
    state = session.state
    name = f"{type(session).__name__} {session.id}"
    text = f"{name} closed ({state.value})" if session.closed else f"{name} {state.value}"
    words = session._last_words()
    if words:
        text += f": {words}"
    lifecycle = session._lifecycle
    if lifecycle is not None and lifecycle.why_closed:
        text += f": {lifecycle.why_closed}"
    if session._pictured and lifecycle is not None and not lifecycle.shown:
        text += "; no page showed it, so no picture of it was kept"
    error = session.error if state in _FAILURES else None
    data = {
        "version": 1,
        "session_id": session.id,
        "kind": session.kind,
        "state": state.value,
        "view": None,
        "error": error,
    }
    note = f"<i>{html.escape(text)}</i>"
    if error:
        note += f"<pre style='color:#b00'>{html.escape(error)}</pre>"
        text += f"\n{error}"
    return {MIME_TYPE: data, "text/html": note, "text/plain": text}


_FAILURES = (SessionState.FAILED, SessionState.CRASHED)


def show(session: Session, widget: bool = True) -> None:
    """Show ``session`` and its close button in the running cell (main thread).

    ``widget=False`` leaves out the session widget: for a notebook whose pages all
    run this project's extension, which renders the output and its Close button
    itself (the widget would cost a comm and a model in the page per output).

    Retiring runs on whichever thread closed the session, after everything was
    released, so the note shows the final state; for a session closed already it
    runs at once.
    """
    SessionOutput(session, widget).show()


def show_closed(session: Session) -> None:
    """Show the "closed" note of a session closed before it could show (main thread)."""
    display(note_bundle(session), raw=True)


def show_more(session: Session, data: dict[str, Any]) -> None:
    """Display another output of ``session`` (a snapshot, say) in the running cell.

    ``data`` is a mime bundle, normally ``bundle(session)`` with more in it. Like the
    session's own output, it turns into the "closed" note when the session closes; a
    picture it showed (a PyMOL scene's ``image/png``) stays under the note.
    """
    display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
    display(data, raw=True, display_id=display_id)
    picture = data.get(PICTURE_MIME)

    def retire() -> None:
        note = note_bundle(session)
        update_display(kept(note, picture), raw=True, display_id=display_id)

    session._opened().when_closed(retire)


class SessionOutput:
    """A session's output in one cell: the bundle with its widget, and the kind's controls.

    The output follows its session's state from any thread: a session that fails
    after it showed (a Bokeh app's first view is built off the cell) shows why, with
    its Close button; one restarted is live again; a closed one is a note.
    """

    def __init__(self, session: Session, widget: bool = True) -> None:
        self.session = session
        self.display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
        self._wants_widget = widget
        self._widget: Any = None
        self._controls: Any = None
        self._retired = False
        # Orders the updates of one output: a failure and a close may race.
        self._lock = threading.Lock()

    def show(self) -> None:
        """Display the session's output (and its controls, if any) in the current cell."""
        data = bundle(self.session)
        if self._wants_widget:
            # On first use: anywidget and ipywidgets cost 0.25 s to import, and a
            # session shown outside a notebook never needs them.
            from .widget import SessionWidget

            self._widget = SessionWidget(self.session, data[MIME_TYPE]["view"], data["text/html"])
        display(self._with_widget(data), raw=True, display_id=self.display_id)
        controls = self.session._controls()
        if controls:
            self._controls = _box(controls)
            display(self._controls)
        lifecycle = self.session._opened()
        lifecycle.watch(self._state_changed)
        lifecycle.when_closed(self.retire)
        if self.session.state is SessionState.FAILED:  # while the output was being made
            self._state_changed(SessionState.FAILED)

    def retire(self) -> None:
        """Replace the output by a 'closed' note and close its widgets.

        Once the closing cell has replied (at once from other threads): a re-run's
        old output is gone from the page by then, and its update was a third of
        the re-run's cost.
        """
        after_this_cell(self._retire)

    def _retire(self) -> None:
        with self._lock:
            self._retired = True
            picture = getattr(self._widget, "picture", None)
            note = note_bundle(self.session)
            update_display(kept(note, picture), raw=True, display_id=self.display_id)
            widget, self._widget = self._widget, None
            controls, self._controls = self._controls, None
        if widget is not None:
            widget.close()  # it has no layout or style to close
        if controls is not None:
            _close_tree(controls)

    def _state_changed(self, state: SessionState) -> None:
        if state is SessionState.FAILED:
            self._refresh(note_bundle(self.session))
        elif state is SessionState.RUNNING:  # restarted
            self._refresh(bundle(self.session))

    def _refresh(self, data: dict[str, Any]) -> None:
        """Show ``data`` instead, keeping the Close button (and the widget, if any)."""
        with self._lock:
            if self._retired:
                return  # the note stays
            if self._widget is not None:
                # Its page view is rendered anew by the update, from these.
                self._widget.view = data[MIME_TYPE]["view"]
                self._widget.html = data["text/html"]
            update_display(self._with_widget(data), raw=True, display_id=self.display_id)

    def _with_widget(self, data: dict[str, Any]) -> dict[str, Any]:
        data[MIME_TYPE]["label"] = self.session._label()
        if self._widget is not None:
            from .widget import WIDGET_MIME

            data[WIDGET_MIME] = self._widget.mime()
        return data


def _close_tree(widget: Any) -> None:
    """Close a widget with its children, layout and style: ``close()`` alone leaves
    those open, each with a comm in the kernel and a model in the page."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()


def _box(controls: list[Any]) -> Any:
    # ipywidgets on first use: only kinds with controls need it here.
    import ipywidgets as widgets

    return widgets.VBox(controls)
