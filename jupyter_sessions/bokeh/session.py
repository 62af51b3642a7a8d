"""BokehSession: a live Bokeh document in a cell, served by the embedded server.

A session may be viewed more than once (two tabs, a page reload): each view is
its own Bokeh server session and document, a :class:`~.server.View` that the
embedded server keeps and the session holds. ``setup_model()`` and
``periodic_callback()`` run on the session's *face* for one view's document
(:meth:`BokehSession._face`), and ``update(fn)`` passes it to ``fn``: what it sets
(``self.source = ...``) is that view's, so views never fight over models.

Thread contract: ``setup_model``, ``periodic_callback`` and the functions given
to ``update()`` run on the embedded server's thread, under the document lock.
Everything public here may be called from any thread.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar, cast

from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.embed import server_session
from bokeh.model import Model
from bokeh.models.widgets.markups import Div

from ..core.session import Session, SessionError, SessionState
from ..core.threads import after_this_cell
from .building import error_html, with_curdoc
from .first_view import FirstView
from .period import checked_period
from .server import EmbeddedServer, View
from .server.views import remove_callbacks
from .shared_server import embedded_server

log = logging.getLogger(__name__)

T = TypeVar("T")


class BokehSession(Session):
    """A Bokeh app in a cell: override ``setup_model`` and ``periodic_callback``.

    ``callback_period`` (seconds, None for no callback, at least 0.25 s) may be
    changed while live with :meth:`update_callback_period`. Change documents from
    a notebook cell with :meth:`update`, never directly: Bokeh documents belong
    to the server thread.
    """

    kind = "bokeh"
    _pictured = True
    callback_period: float | None = None

    # The session's own, set in _start. A face carries none of them: it reaches
    # them through its view's owner (_session()).
    _server: EmbeddedServer
    _views: list[View]  # minted, in order: the cell shows the first
    _first_view: FirstView | None = None
    _callback_errors: int = 0
    _callback_s: float = 0.0  # CPU time its periodic callbacks took, all views
    _SESSION_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"_server", "_views", "_first_view", "_callback_errors", "_callback_s"}
    )
    # A face's own: the view it was made for (None on the session itself).
    _face_of: View | None = None

    def setup_model(self) -> Model | None:
        """Build this view's Bokeh layout (bokeh 3 API) and return it; None for none.

        Runs on the server thread, once per view. Raising in the first view fails
        the session (its output shows the traceback); in a later view, that view
        shows the error and the others go on.
        """
        return None

    def periodic_callback(self) -> None:
        """Called every ``callback_period`` seconds on each view (server thread).

        An exception is logged and shown by ``print_info()``; the callback keeps
        running, and so do the server and other sessions.
        """

    @property
    def doc(self) -> Document | None:
        """The view's Bokeh document; None on the session object itself."""
        return self._face_of.doc if self._face_of is not None else None

    @property
    def views(self) -> int:
        """How many views (Bokeh server sessions) are open now."""
        return sum(1 for view in getattr(self._session(), "_views", ()) if view.live)

    @property
    def view_id(self) -> str | None:
        """The signed id of the view the cell shows (a page reload re-attaches to it)."""
        views = getattr(self._session(), "_views", None)
        return views[0].id if views else None

    @property
    def app_url(self) -> str | None:
        """The embedded server's URL that serves this session's views, once opened."""
        server = getattr(self._session(), "_server", None)
        return server.app_url if server is not None else None

    def update_callback_period(self, period: float | None) -> None:
        """Change the period of every view's callback (seconds, None to stop it)."""
        value = checked_period(period)
        owner = self._session()
        owner.callback_period = value
        if owner.state is not SessionState.RUNNING:
            return
        owner._server.call(owner._reschedule_all, value)

    def update(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> list[T]:
        """Run ``fn(view, *args)`` for every open view, safely; wait and return the results.

        The one way to change (or read) a live plot from a notebook cell: ``fn``
        runs on the server thread under each document's lock. Raises the first
        exception ``fn`` raised, or SessionError after ``timeout`` seconds.
        """
        owner = self._session()
        if owner._first_view is not None:  # just opened: its first view may not be made yet
            owner._first_view.wait(timeout)
        owner._ensure_running()
        futures = owner._server.call(owner._schedule_update, fn, args)
        _, pending = concurrent.futures.wait(futures, timeout)
        if pending:
            raise SessionError(f"update() did not finish within {timeout} s")
        return [future.result() for future in futures]

    def _session(self) -> BokehSession:
        """The opened session, whether called on it or on one of its faces."""
        view = self._face_of
        return cast(BokehSession, view.owner) if view is not None else self

    # -- lifecycle -------------------------------------------------------------

    def _start(self) -> None:
        self.callback_period = checked_period(self.callback_period)
        self._server = embedded_server()
        self._views = []
        self._defer(self._close_views)
        opening = functools.partial(self._server.open_view, self._add_view())
        # Made once the cell has replied (or when update() or a page needs it first).
        # If setup_model raises, the session fails and its output shows the traceback.
        self._first_view = FirstView(self, opening, self._builder())
        after_this_cell(self._first_view.soon)

    def _add_view(self) -> View:
        """Mint one more view of this session (the first, a second page's)."""
        view = self._server.mint(self)
        self._views.append(view)
        return view

    def _close_views(self) -> None:
        """The session's one call to the server as it closes (``close_views`` says the rest)."""
        self._server.close_views(self._views)

    def _view(self) -> tuple[dict[str, Any], str]:
        # The cell's output keeps the first view: a page reload re-attaches to it.
        view = self._views[0]
        script = server_session(session_id=ID(view.id), url=self._server.app_url)
        data = {
            "url": self._server.app_url,
            "view_id": view.id,
            "token": view.token,
            "static": self._server.static_paths(),
        }
        return data, script

    def _info(self) -> dict[str, Any]:
        info = {"views": self.views, "callback_period": self.callback_period}
        # What it costs: CPU time in its callbacks (its documents live in the kernel).
        return {
            **info,
            "callback_errors": self._callback_errors,
            "cpu_s": round(self._callback_s, 3),
        }

    # -- server thread ---------------------------------------------------------

    def _builder(self) -> str:
        """What builds a view, as an error names it."""
        return f"{type(self).__name__}.setup_model()"

    def _build(self, doc: Document) -> None:
        """Fill this face's ``doc`` (server thread, with ``curdoc()`` the document)."""
        model = self.setup_model()
        if model is not None:
            doc.add_root(model)

    def _face(self, view: View) -> BokehSession:
        """This session as ``view``'s document sees it: an instance of its class of its own.

        User callbacks need ``self`` an instance of their class (methods, properties,
        ``super()``) with the session's attributes, overridden class attributes
        included, and writes kept per view. Python finds a class attribute before any
        fallback, so a face starts with the session's attributes but its bookkeeping
        (``_SESSION_ONLY``): nothing of a view is ever set on the session.
        """
        state = vars(self).copy()  # at once: a cell may set attributes meanwhile
        for name in self._SESSION_ONLY:
            state.pop(name, None)
        cls = type(self)
        face = cls.__new__(cls)
        face.__dict__.update(state, _face_of=view)
        return face

    def _fill_view(self, view: View, doc: Document) -> None:
        """Fill ``view``'s new document with a new face of this session; never raises."""
        face = self._face(view)
        try:
            with_curdoc(doc, face._build)
        except Exception as exc:
            builder = self._builder()
            log.exception("%s failed", builder)
            if self._first_view is not None:  # it fails the session, if still being made
                self._first_view.error = exc
            self._note_error(f"{builder}: {exc!r}")
            remove_callbacks(doc)  # what it scheduled before it raised
            doc.clear()
            doc.add_root(Div(text=error_html(builder, exc)))
            return
        view.face = face
        view.repeat(functools.partial(self._tick, face), self.callback_period)

    def _view_created(self, view: View, context: Any) -> Awaitable[None] | None:
        """Bokeh is about to make a document for ``view``: a kind's hook, before ``_build``."""
        return None

    def _view_destroyed(self, view: View, context: Any) -> Awaitable[None] | None:
        """Bokeh discarded a document of ``view`` (its page left, or the session closed)."""
        return None

    def _reschedule_all(self, period: float | None) -> None:
        for view in list(self._views):
            face = view.face
            if face is not None:
                face.callback_period = period
                view.repeat(functools.partial(self._tick, face), period)

    def _tick(self, face: BokehSession) -> None:
        if self.closed or self.state.ended:  # its views are being taken down
            return
        started = time.thread_time()
        try:
            face.periodic_callback()
        except Exception as exc:
            self._report_callback_error(exc)
        self._callback_s += time.thread_time() - started  # one thread: no lock needed

    def _report_callback_error(self, exc: Exception) -> None:
        self._callback_errors += 1
        message = f"periodic_callback: {exc!r}"
        repeated = self.error == message
        self._note_error(message)
        if repeated:
            log.debug("%s: %s (again, %d errors)", self.id, message, self._callback_errors)
        else:
            name = type(self).__name__
            log.error("%s.periodic_callback() failed in session %s", name, self.id, exc_info=exc)

    def _schedule_update(
        self, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> list[concurrent.futures.Future[T]]:
        futures = []
        for view in list(self._views):
            face, doc = view.face, view.doc
            if face is None or doc is None:
                continue
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            futures.append(future)
            doc.add_next_tick_callback(_completing(future, fn, face, *args))
        return futures


def _completing(
    future: concurrent.futures.Future[T], fn: Callable[..., T], *args: Any
) -> Callable[[], None]:
    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)

    return run
