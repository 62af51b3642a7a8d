"""The output every session shows in its cell: one mime type, one close button.

The bundle carries the project's own mime type (rendered by the JupyterLab
extension, which tells the kernel when the output goes away) and an HTML
fallback that works in any frontend that runs trusted HTML. A small ipywidgets
bar under it holds the close button. When the session closes, however that
happens, the output is replaced by a one-line "closed" note.
"""

from __future__ import annotations

import html
import threading
import uuid
from typing import Any

from . import kernel
from .registry import Event
from .session import Session

MIME_TYPE = "application/vnd.jupyter-sessions.session.v1+json"


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


_outputs: dict[str, SessionOutput] = {}
# session id -> the session and the display ids of its further outputs
_more: dict[str, tuple[Session, list[str]]] = {}
_subscribed = False
_lock = threading.Lock()


def show(session: Session) -> None:
    """Show ``session`` in the running cell; retire the output when it is removed.

    Main thread (``open_session``). Retiring runs on whichever thread closed the
    session, after everything was released, so the note shows the final state.
    """
    output = SessionOutput(session)
    with _lock:
        _subscribe()
        _outputs[str(session.id)] = output
    output.show()


def show_more(session: Session, data: dict[str, Any]) -> None:
    """Display another output of ``session`` (a snapshot, say) in the running cell.

    ``data`` is a mime bundle, normally ``bundle(session)`` with more in it. Like the
    session's own output, it turns into the "closed" note when the session closes.
    """
    from IPython.display import display

    display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
    with _lock:
        _subscribe()
        _more.setdefault(str(session.id), (session, []))[1].append(display_id)
    display(data, raw=True, display_id=display_id)


def _subscribe() -> None:
    """Retire outputs when their session is removed (called under ``_lock``)."""
    global _subscribed
    if not _subscribed:
        kernel.registry().subscribe(_on_event)
        _subscribed = True


def _on_event(event: Event) -> None:
    if event.kind != "removed":
        return
    with _lock:
        output = _outputs.pop(event.session_id, None)
        more = _more.pop(event.session_id, None)
    if output is not None:
        output.retire()
    if more is not None:
        from IPython.display import update_display

        session, display_ids = more
        for display_id in display_ids:
            update_display(closed_bundle(session), raw=True, display_id=display_id)


class SessionOutput:
    """A session's output in one cell: the view and its close button.

    ``retire`` may run on any thread: it only sends a display update and closes
    a widget.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.display_id = f"jupyter-sessions-{uuid.uuid4().hex}"
        self._bar: Any = None

    def show(self) -> None:
        """Display the session's view and close button in the current cell."""
        from IPython.display import display

        display(bundle(self.session), raw=True, display_id=self.display_id)
        self._bar = _close_bar(self.session)
        display(self._bar)

    def retire(self) -> None:
        """Replace the view by a 'closed' note and remove the close button."""
        from IPython.display import update_display

        update_display(closed_bundle(self.session), raw=True, display_id=self.display_id)
        if self._bar is not None:
            _close_tree(self._bar)
            self._bar = None


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
    import ipywidgets as widgets

    button = widgets.Button(
        description="Close",
        icon="times",
        tooltip=f"Close {type(session).__name__} {session.id} and free what it holds",
        layout=widgets.Layout(width="auto"),
    )
    label = widgets.HTML(f"<small>{html.escape(type(session).__name__)} {session.id}</small>")
    button.on_click(lambda _button: session.close())
    bar = widgets.HBox([button, label])
    controls = session._controls()
    return widgets.VBox([bar, *controls]) if controls else bar
