"""Views: what a signed id opens, and the one table the embedded server keeps them in.

A :class:`View` is one view of a session: the id the kernel minted and signed, its
websocket token, and while Bokeh has a server session for it, that session's
document, what its owner made of it (a BokehSession's face) and its periodic
callback. Documents come and go under one id: a page that left has its document
discarded after the linger, and a reload of the same output fills a new one.

The :class:`ViewTable` holds every view from its mint until it is closed and Bokeh
has let go of its last document: routing (which documents are ours), liveness and
the end of a close are all read from it, and nothing else keeps views.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bokeh.document import Document
from bokeh.server.callbacks import PeriodicCallback


class ViewOwner(Protocol):
    """Who minted a view and hears of its documents (a BokehSession); server thread."""

    def _view_created(self, view: View, context: Any) -> Awaitable[None] | None:
        """Bokeh is about to make a document for ``view`` (before ``_fill_view``)."""

    def _fill_view(self, view: View, doc: Document) -> None:
        """Fill ``view``'s new document (``view.doc``); never raises."""

    def _view_destroyed(self, view: View, context: Any) -> Awaitable[None] | None:
        """Bokeh discarded the document of ``context`` (its page left, or the view closed)."""


class View:
    """One view of a session: a signed id, its token, and its document while it has one.

    ``doc``, ``face`` and ``callback`` are set and cleared on the server thread
    (Bokeh >= 3.10 fills a document on a worker thread of the server's); any
    thread may read them. ``closed`` is set once, under the table's lock.
    """

    def __init__(self, view_id: str, token: str, owner: ViewOwner) -> None:
        self.id = view_id
        self.token = token
        self.owner = owner
        self.doc: Document | None = None
        self.face: Any = None  # the owner's object for this document (a BokehSession's face)
        self.callback: PeriodicCallback | None = None  # the owner's periodic callback
        self.closed = False
        self.closing: Closing | None = None
        # Bokeh's session contexts whose creation this view heard and whose discard it
        # has not: one, or briefly two (a reload while the old document goes). The
        # document, face and callback are the latest one's (``context``).
        self.contexts: set[Any] = set()
        self.context: Any = None

    @property
    def live(self) -> bool:
        """Whether the view has a document its owner filled (a page can show it now)."""
        return self.face is not None

    def repeat(self, fn: Callable[[], None], period: float | None) -> None:
        """(Re)start the owner's periodic callback: ``fn`` every ``period`` s (server thread)."""
        doc = self.doc
        if doc is None:
            return
        if self.callback is not None:
            doc.remove_periodic_callback(self.callback)
            self.callback = None
        if period is not None:
            self.callback = doc.add_periodic_callback(fn, round(period * 1000))

    def lost(self, context: Any) -> None:
        """Bokeh discarded ``context``'s document: if it was the latest, no document now."""
        if self.context is context:
            self.context = self.doc = self.face = self.callback = None

    def stop_callbacks(self) -> None:
        """Stop every callback of the document: the owner's and the app's own (server thread)."""
        self.callback = None
        if self.doc is not None:
            remove_callbacks(self.doc)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "live" if self.live else "idle"
        return f"<View {self.id[:8]}... {state}>"


class Closing:
    """Views closed together, and what runs once Bokeh has let go of the last of them."""

    def __init__(self, views: Iterable[View], finished: Callable[[], object] | None) -> None:
        self.waiting = set(views)
        self.finished: Callable[[], object] | None = finished

    def gone(self, view: View) -> Callable[[], object] | None:
        """``view`` has no document left: ``finished`` if it was the last (once)."""
        self.waiting.discard(view)
        if self.waiting or self.finished is None:
            return None
        finished, self.finished = self.finished, None
        return finished


class ViewTable:
    """Every view the kernel minted and Bokeh has not let go of: the one place views are kept.

    A view enters when minted. It leaves when closed, at once if Bokeh has no
    session for it, else once Bokeh discarded the last. A view that is not closed
    stays through any number of documents (pages leaving, reloads). Thread
    contract: ``add``, ``get`` and ``close`` from any thread; the rest on the server
    thread. One lock guards which views are open and closed.
    """

    def __init__(self) -> None:
        self._views: dict[str, View] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._views)

    def add(self, view: View) -> None:
        """Route documents of ``view.id`` to ``view`` from now on."""
        with self._lock:
            self._views[view.id] = view

    def get(self, view_id: str) -> View | None:
        """The view of ``view_id``, closed or not, while the table holds it."""
        return self._views.get(view_id)

    def close(
        self, views: Iterable[View], finished: Callable[[], object] | None = None
    ) -> list[View]:
        """Route no new document to ``views``; the ones Bokeh still has a session for.

        Those stay until Bokeh discards their last document; ``finished`` is returned
        by the ``gone`` call of the last of them. With none of them, the caller runs
        ``finished`` itself.
        """
        with self._lock:
            waiting = []
            for view in views:
                view.closed = True
                if view.contexts:
                    waiting.append(view)
                else:
                    self._views.pop(view.id, None)
            if waiting:
                closing = Closing(waiting, finished)
                for view in waiting:
                    view.closing = closing
            return waiting

    def created(self, context: Any) -> View | None:
        """Bokeh is making a session for ``context.id``: its view, unless closed or unknown."""
        with self._lock:
            view = self._views.get(context.id)
            if view is None or view.closed:
                return None
            view.contexts.add(context)
            view.context = context
            return view

    def of(self, context: Any) -> View | None:
        """The view ``context`` was created for (``created``); None: not one of ours."""
        view = self._views.get(context.id)
        return view if view is not None and context in view.contexts else None

    def gone(self, view: View, context: Any) -> Callable[[], object] | None:
        """Bokeh let go of ``context``, and the owner heard it: what runs if that ends a close."""
        with self._lock:
            view.contexts.discard(context)
            if not view.closed or view.contexts:
                return None
            self._views.pop(view.id, None)
            return view.closing.gone(view) if view.closing is not None else None

    def clear(self) -> None:
        """Forget every view (the server stopped)."""
        with self._lock:
            self._views.clear()


def remove_callbacks(doc: Document) -> None:
    """Remove every periodic, timeout and next-tick callback of ``doc`` (server thread)."""
    for callback in list(doc.session_callbacks):
        doc.callbacks.remove_session_callback(callback)
