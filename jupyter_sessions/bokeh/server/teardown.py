"""How the embedded server's views go: at once, and without a full gc.collect() each.

Bokeh, left to itself, destroys a closed view's server session at its next
cleanup tick, once the browser has answered the websocket close, and then runs a
full ``gc.collect()`` in ``Document.destroy``: about 0.1 s with the GIL held, per
view, which stalls every thread of the kernel. Here:

- closing ends the websocket's TCP stream right after the close frame
  (:func:`end_connections`), and Bokeh's own cleanup runs as soon as tornado
  reports it closed, a few ms (``discards.py``);
- our documents are :class:`ViewDocument`, whose ``destroy`` is Bokeh's without
  the collection; ``discards.py`` collects once for many views instead.

Measured in the browser (``benchmarks/bench_browser.py``): clear output -> server
session destroyed went from 290 to 26 ms p95. Everything here runs on the
embedded server's thread. It touches private Bokeh and tornado state, named
where it does.
"""

from __future__ import annotations

from typing import Any

from bokeh.document import Document
from bokeh.server.session import ServerSession


def end_connections(sessions: list[ServerSession]) -> None:
    """Disconnect the browsers of ``sessions`` now and mark them for discarding.

    Bokeh has no public "destroy now" for a session with connections, so this
    closes the websockets and asks for expiration; Bokeh's own cleanup then
    destroys the documents, running its usual hooks (``discards.py`` runs it as
    soon as tornado reports the websockets closed).
    """
    for session in sessions:
        # Private Bokeh and tornado state: a session's connections, their handlers.
        for connection in list(session._subscribed_connections):
            _disconnect(connection._socket)
        session.request_expiration()


def _disconnect(handler: Any) -> None:
    """Close a view's connection (a websocket handler, or a comm link) without waiting
    for the browser."""
    protocol = getattr(handler, "ws_connection", None)  # private tornado state
    stream = protocol.stream if protocol is not None else None
    handler.close()  # sends the close frame
    if stream is not None:
        # End the TCP connection now rather than wait for the browser's answer to
        # the close: tens of ms while its page is busy (tornado waits up to 5 s).
        # Tornado then reports the websocket closed.
        stream.close()


class ViewDocument(Document):
    """A view's document: Bokeh's teardown, without its full ``gc.collect()``.

    ``destroy`` is Bokeh's ``Document.destroy`` (bokeh 3.x) minus the last line,
    plus letting go of the models no browser ever synced; ``discards.Discards``
    collects once for many views instead (run by the view's destroyed hook). Only
    documents of the embedded server are made this class, so other Bokeh servers and
    documents in the kernel are as Bokeh made them.
    """

    def destroy(self, session: Any) -> None:
        """Release the document's models, callbacks and modules (server thread)."""
        self.remove_on_change(session)
        del self._roots
        del self._theme
        del self._template
        self._session_context = None
        self.callbacks.destroy()
        self.models.destroy()
        # Private Bokeh state: the models never synced to a browser (a view no page
        # loaded), which Bokeh's destroy leaves in place. The document itself may
        # outlive this for a moment: Bokeh >= 3.10 filled it on an executor thread
        # (asyncio.to_thread), whose finished work item holds it until that thread
        # next runs, and on a busy machine that can be after our one collection.
        # Emptied, the document holds no model and the collection gets them all.
        self.models._new_models.clear()
        self.modules.destroy()
