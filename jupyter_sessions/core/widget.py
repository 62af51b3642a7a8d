"""The session's widget: its output in every frontend that renders ipywidgets.

A session's output bundle carries this project's mime type (the JupyterLab and
Notebook 7 extension renders it, and wins there), this widget's view (VS Code,
Voilà, Colab, JupyterLab without the extension), and HTML for static viewers. One
widget per output: one comm, where the old close bar took eight.

The widget's JavaScript (``jupyter_sessions/static/session-widget.js``, built from
``labextension/src/widget.ts``) ships from the kernel through anywidget, never from
a CDN, and is imported once per page (see ``STUB``). It shows the view and a Close
button, and tells the kernel when its view went for good (``view_disposed``, which
closes the session at once): the page decides that, as the extension's does
(``core/messages.py``). JupyterLab and Notebook 7 remove the view when the output is
cleared or the cell deleted, and a moved cell's view is removed and shown again,
which the page waits :data:`REMOVED_GRACE_S` to see. VS Code keeps widget views on
clear (vscode-jupyter #10485): there a re-run is what closes.

Its messages are the vocabulary of ``core/messages.py`` (the ``WIDGET`` route),
checked on arrival: a malformed one is logged and ignored.

The widget's comm also carries *pipes*: comm-like conversations the page opens to
any comm target of the kernel (a Bokeh view, BokehJS itself) where it has no
kernel connection of its own. Each pipe is handed to the target's callback as a
comm would be, so the kinds behind those targets do not know the difference.

Threads: messages from the page arrive on the kernel's main shell (ipywidgets'
comm); sends (a pipe's traffic, from the embedded server's thread) may come from
any thread, as comm sends do in ipykernel 7.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets
import traitlets
from comm import get_comm_manager

from .messages import PipeClosed, PipeMessage, parse_widget
from .session import Session
from .time_to_live import watching

log = logging.getLogger(__name__)

IMPL = Path(__file__).parent.parent / "static" / "session-widget.js"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# anywidget imports a widget's ESM anew, from a blob URL, for every model, and a page
# never lets go of an imported module: a whole view module per output would stay in
# the page for good. So the ESM is this stub, and the view's code (``_impl``) is
# imported once per page per version, keyed by its hash.
STUB = """
export default {
  async render(context) {
    const key = `__jupyter_sessions_widget_${context.model.get("_impl_id")}`;
    window[key] ??= import(URL.createObjectURL(
      new Blob([context.model.get("_impl")], { type: "text/javascript" })));
    return (await window[key]).default.render(context);
  },
};
"""
MISSING = (
    "export default { render({ el }) { el.textContent = 'jupyter-sessions: the session "
    "widget was not built (npm run build)'; } };"
)
CODE = IMPL.read_text() if IMPL.exists() else MISSING
#: A view the page removed and did not show again within this long went for good. The
#: page decides (a moved cell's view is rendered anew); this says how long it waits.
REMOVED_GRACE_S = 1.0

MsgCallback = Callable[[dict[str, Any]], None]


class SessionWidget(anywidget.AnyWidget):  # type: ignore[misc]  # anywidget is untyped
    """One session output as a widget: its view, its label and a Close button."""

    _esm = STUB
    _impl = traitlets.Unicode(CODE).tag(sync=True)
    _impl_id = traitlets.Unicode(hashlib.sha1(CODE.encode()).hexdigest()[:16]).tag(sync=True)
    session_id = traitlets.Unicode().tag(sync=True)
    removed_grace_ms = traitlets.Int().tag(sync=True)
    label = traitlets.Unicode().tag(sync=True)
    view = traitlets.Dict(allow_none=True).tag(sync=True)
    html = traitlets.Unicode().tag(sync=True)
    # No layout model. A DOM widget's own layout would be a second comm per output,
    # and a shared one keeps every view it ever styled: ipywidgets' page never
    # removes a layout view, whose listeners stay on the layout model. With none,
    # the page makes no layout view at all.
    layout = traitlets.Instance(ipywidgets.Layout, allow_none=True, default_value=None).tag(
        sync=True, **ipywidgets.widget_serialization
    )

    def __init__(self, session: Session, view: dict[str, Any] | None, html: str) -> None:
        super().__init__(
            session_id=session.id or "",
            removed_grace_ms=round(REMOVED_GRACE_S * 1000),
            label=session._label(),
            view=view,
            html=html,
        )
        self._session = session
        # The view's last picture (base64 PNG), which its page sends: the output's note
        # keeps it. The page holds no notebook model to keep it in (the extension's does).
        self.picture: str | None = None
        self._pipes: dict[str, Pipe] = {}
        self.on_msg(self._on_msg)

    def mime(self) -> dict[str, Any]:
        """This widget's entry in a mime bundle."""
        return {"version_major": 2, "version_minor": 1, "model_id": self.model_id}

    def close(self) -> None:
        """Close the widget and every pipe through it (their targets hear it)."""
        for pipe in list(self._pipes.values()):
            pipe.closed_by_page()
        super().close()

    def _on_msg(self, _widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        try:
            self._handle(content, [bytes(b) for b in buffers or ()])
        except Exception:
            log.warning("Bad message from a session widget: %r", content, exc_info=True)

    def _handle(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        message = parse_widget(content)
        if message is None:
            return
        if message["type"] == "pipe_open":
            self._open_pipe(message["pipe"], message["target"], message["data"])
        elif message["type"] == "pipe_msg":
            pipe = self._pipes.get(message["pipe"])
            if pipe is not None:  # else closed already: a late message
                pipe.message_from_page(message["data"], buffers)
        elif message["type"] == "pipe_close":
            pipe = self._pipes.get(message["pipe"])
            if pipe is not None:
                pipe.closed_by_page()
        elif message["session_id"] != self.session_id:
            log.warning("Refused a session widget message about another session: %r", content)
        elif message["type"] == "view_shown":
            self._session._opened().shown = True
            # This route never says its page went: watched until it closes.
            watching().shown(f"widget:{self.model_id}", self.session_id)
        elif message["type"] == "view_disposed":
            self._session.close()
        elif message["type"] == "picture":
            self.picture = message["picture"]
        else:  # close: the last picture goes with the word, for the note
            self.picture = message["picture"] or self.picture
            self._session.close()

    def _open_pipe(self, pipe_id: str, target: str, data: dict[str, Any]) -> None:
        callback = get_comm_manager().targets.get(target)
        if callback is None:
            closed = PipeClosed(
                type="pipe_closed", pipe=pipe_id, data={"error": f"no comm target {target!r}"}
            )
            self.send(closed)
            return
        pipe = Pipe(self, pipe_id)
        self._pipes[pipe_id] = pipe
        # A target callback is typed for a real comm; a pipe offers what targets use of one.
        open_msg = {
            "content": {"comm_id": pipe_id, "target_name": target, "data": data},
            "buffers": [],
        }
        callback(pipe, open_msg)  # type: ignore[arg-type]

    def _forget(self, pipe_id: str) -> None:
        self._pipes.pop(pipe_id, None)


class Pipe:
    """A comm-like conversation tunnelled through a session widget's comm.

    Offers what comm targets use of a comm: ``comm_id``, ``send``, ``close``,
    ``on_msg``, ``on_close``.
    """

    def __init__(self, widget: SessionWidget, pipe_id: str) -> None:
        self.comm_id = pipe_id
        self._widget = widget
        self._on_msg: MsgCallback | None = None
        self._on_close: MsgCallback | None = None
        self._closed = False

    def on_msg(self, callback: MsgCallback) -> None:
        """Call ``callback(msg)`` for every message from the page, shaped as a comm_msg."""
        self._on_msg = callback

    def on_close(self, callback: MsgCallback) -> None:
        """Call ``callback(msg)`` once the page closes the pipe."""
        self._on_close = callback

    def send(
        self,
        data: dict[str, Any] | None = None,
        metadata: Any = None,
        buffers: list[bytes] | None = None,
    ) -> None:
        """Send ``data`` to the page (any thread)."""
        if not self._closed:
            message = PipeMessage(type="pipe_msg", pipe=self.comm_id, data=data or {})
            self._widget.send(message, buffers)

    def close(
        self, data: dict[str, Any] | None = None, metadata: Any = None, buffers: Any = None
    ) -> None:
        """Close the pipe from the kernel's side; the page hears ``data``."""
        if self._closed:
            return
        self._closed = True
        self._widget._forget(self.comm_id)
        self._widget.send(PipeClosed(type="pipe_closed", pipe=self.comm_id, data=data or {}))

    def message_from_page(self, data: dict[str, Any], buffers: list[bytes]) -> None:
        """A message from the page (main shell)."""
        if self._on_msg is not None and not self._closed:
            self._on_msg({"content": {"comm_id": self.comm_id, "data": data}, "buffers": buffers})

    def closed_by_page(self) -> None:
        """The page closed the pipe, or its widget went (main shell)."""
        if self._closed:
            return
        self._closed = True
        self._widget._forget(self.comm_id)
        if self._on_close is not None:
            self._on_close({"content": {"comm_id": self.comm_id, "data": {}}})
