"""Each document Bokeh makes, routed to its view: made, filled, discarded.

The embedded server serves one Bokeh application (:meth:`Router.application`),
and every server session Bokeh makes of it is a view's (``views.py``): its owner
hears that Bokeh is making it, fills its document, and hears when Bokeh discarded
it. A validly signed id whose view has closed (the session closed, the page was
reloaded later) gets a one-line "closed" document instead, never a revived view.

Everything here runs on the embedded server's thread (Bokeh >= 3.10 fills a
document on a worker thread of it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bokeh.application import Application
from bokeh.application.handlers.document_lifecycle import DocumentLifecycleHandler
from bokeh.application.handlers.function import FunctionHandler
from bokeh.application.handlers.handler import Handler
from bokeh.document import Document
from bokeh.models.widgets.markups import Div

from ...core.callbacks import call_logged
from .discards import Discards
from .teardown import ViewDocument
from .views import ViewTable

CLOSED_HTML = "<i>This session is closed. Run its cell again to open a new one.</i>"


class Router:
    """Routes Bokeh's documents to the views of ``views``; tells ``discards`` of each."""

    def __init__(self, views: ViewTable, discards: Discards) -> None:
        self._views = views
        self._discards = discards

    def application(self) -> Application:
        """The one Bokeh application the server serves, every view's document made by it."""
        # The document's own on_session_destroyed callbacks (Bokeh's handler, which
        # BokehTornado would append last) run before the view's owner hears it went.
        return Application(
            FunctionHandler(self._fill),
            DocumentLifecycleHandler(),
            ViewLifecycle(self._created, self._destroyed),
        )

    def _fill(self, doc: Document) -> None:
        """Bokeh's app handler: have the view's owner fill the document, else "closed"."""
        # A dropped connection to this loopback server means the session closed or the
        # kernel went: a BokehJS reconnect (from an output the user re-ran or cleared)
        # would only open a new server session for a dead view, and nag in the page.
        doc.config.reconnect_session = False
        doc.config.notify_connection_status = False
        # Only our own documents: other Bokeh servers in the kernel keep Bokeh's destroy.
        doc.__class__ = ViewDocument
        context = doc.session_context
        view = self._views.of(context) if context is not None else None
        if view is None or view.closed:
            doc.add_root(Div(text=CLOSED_HTML))
            return
        view.doc = doc
        view.owner._fill_view(view, doc)

    async def _created(self, context: Any) -> None:
        self._discards.departed()  # no page may ever connect to it
        view = self._views.created(context)
        if view is not None:
            await awaited(view.owner._view_created(view, context))

    async def _destroyed(self, context: Any) -> None:
        self._discards.discarded()
        view = self._views.of(context)
        if view is None:  # a "closed" document
            return
        view.lost(context)
        await awaited(view.owner._view_destroyed(view, context))
        finished = self._views.gone(view, context)
        if finished is not None:
            call_logged(finished)


class ViewLifecycle(Handler):
    """Tells the router that Bokeh made or discarded a server session.

    An application handler rather than ``doc.on_session_destroyed``: a document
    with such callbacks makes Bokeh run a second full ``gc.collect()`` per view.
    Both hooks are awaited where Bokeh awaits an application's: before the view's
    document is filled, and after it was destroyed.
    """

    def __init__(
        self,
        created: Callable[[Any], Awaitable[None]],
        destroyed: Callable[[Any], Awaitable[None]],
    ) -> None:
        super().__init__()
        self._on_created = created
        self._on_destroyed = destroyed

    def modify_document(self, doc: Document) -> None:
        """Nothing to add: the FunctionHandler fills the document."""

    async def on_session_created(self, session_context: Any) -> None:
        await self._on_created(session_context)

    async def on_session_destroyed(self, session_context: Any) -> None:
        await self._on_destroyed(session_context)


async def awaited(result: Awaitable[None] | None) -> None:
    """Await what a hook returned, if it was a coroutine (hooks may be either)."""
    if result is not None:
        await result
