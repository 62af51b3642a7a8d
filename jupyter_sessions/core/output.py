"""The output every session shows in its cell: one mime type, one close button.

The bundle carries the project's own mime type (rendered by the JupyterLab
extension, which tells the kernel when the output goes away) and an HTML
fallback that works in any frontend that runs trusted HTML. A small ipywidgets
bar under it holds the close button. When the session closes, however that
happens, every output of it is replaced by a one-line "closed" note: each output
asks the session's lifecycle to retire it once closed, so nothing here keeps a
map of sessions to find their displays again.
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from IPython import get_ipython
from IPython.display import display, update_display

from .session import Session

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
        "view": view,
    }
    return {MIME_TYPE: data, "text/html": fallback, "text/plain": repr(session)}


def closed_bundle(session: Session) -> dict[str, Any]:
    """What a closed session's output turns into."""
    text = f"{type(session).__name__} {session.id} closed ({session.state.value})"
    data = {"version": 1, "session_id": session.id, "kind": session.kind,
            "state": session.state.value, "view": None}
    return {MIME_TYPE: data, "text/html": f"<i>{html.escape(text)}</i>", "text/plain": text}


def show(session: Session) -> None:
    """Show ``session`` and its close button in the running cell (main thread).

    Retiring runs on whichever thread closed the session, after everything was
    released, so the note shows the final state; for a session closed already it
    runs at once.
    """
    SessionOutput(session).show()


def show_closed(session: Session) -> None:
    """Show the "closed" note of a session closed before it could show (main thread)."""
    display(closed_bundle(session), raw=True)


def show_more(session: Session, data: dict[str, Any]) -> None:
    """Display another output of ``session`` (a snapshot, say) in the running cell.

    ``data`` is a mime bundle, normally ``bundle(session)`` with more in it. Like the
    session's own output, it turns into the "closed" note when the session closes.
    """
    display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
    display(data, raw=True, display_id=display_id)
    session._opened().when_closed(
        lambda: update_display(closed_bundle(session), raw=True, display_id=display_id))


class SessionOutput:
    """A session's output in one cell: the view and its close button.

    ``retire`` may run on any thread: it only sends a display update and closes
    widgets.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
        self._bar: Any = None

    def show(self) -> None:
        """Display the session's view and close button in the current cell."""
        display(bundle(self.session), raw=True, display_id=self.display_id)
        self._bar = _close_bar(self.session)
        display(self._bar)
        self.session._opened().when_closed(self.retire)

    def retire(self) -> None:
        """Replace the view by a 'closed' note and remove the close button."""
        update_display(closed_bundle(self.session), raw=True, display_id=self.display_id)
        bar, self._bar = self._bar, None
        if bar is not None:
            _close_tree(bar)


def _close_tree(widget: Any) -> None:
    """Close a widget with its children, layout and style: ``close()`` alone leaves
    those open, each with a comm in the kernel and a model in the page."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if part is not None:
            part.close()
    widget.close()


def _close_bar(session: Session) -> Any:
    # ipywidgets on first use: a session shown outside a notebook never loads it.
    import ipywidgets as widgets

    button = widgets.Button(
        description="Close",
        icon="times",
        tooltip=f"Close {type(session).__name__} {session.id} and free what it holds",
        layout=widgets.Layout(width="auto"),
    )
    label = widgets.HTML(f"<small>{html.escape(session._label())}</small>")
    button.on_click(lambda _button: session.close())
    bar = widgets.HBox([button, label])
    controls = session._controls()
    return widgets.VBox([bar, *controls]) if controls else bar
