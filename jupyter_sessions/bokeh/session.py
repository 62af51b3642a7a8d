"""BokehSession: a live Bokeh document in a cell, served by the embedded server.

A session may be viewed more than once (two tabs, a page reload): each view is
its own Bokeh server session and document. ``setup_model()`` and
``periodic_callback()`` run on a *view*, a shallow copy of the session made for
that document, so attributes they set (``self.source = ...``) belong to one view
and views never fight over models. Attributes set in ``__init__`` are shared.

Thread contract: ``setup_model``, ``periodic_callback`` and the functions given
to ``update()`` run on the embedded server's thread, under the document lock.
Everything public here may be called from any thread.
"""

from __future__ import annotations

import concurrent.futures
import copy
import html
import logging
import math
import numbers
import os
import threading
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import bokeh.application
from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.embed import server_session
from bokeh.io.doc import patch_curdoc
from bokeh.model import Model
from bokeh.models.widgets.markups import Div
from bokeh.server.callbacks import PeriodicCallback

from ..core.channel import page_origins
from ..core.session import Session, SessionError, SessionState
from ..core.threads import after_this_cell, call_later
from .server import EmbeddedServer
from .shared_server import embedded_server

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_PERIOD = 0.25  # seconds; the seed's floor, below which browsers fall behind
#: Seconds a first view waits to be made when no page is connected (papermill, a
#: script's kernel, a frontend without the extension): a re-run that comes sooner
#: closes the session, and nothing is built that nobody would see. A page that
#: connects meanwhile has it made at once.
UNWATCHED_FIRST_VIEW_S = 0.25


def checked_period(period: object) -> float | None:
    """``period`` in seconds, floored at 0.25 s; ValueError if it is not a positive number."""
    if period is None:
        return None
    if isinstance(period, bool) or not isinstance(period, numbers.Real):
        raise ValueError(f"callback_period must be a number of seconds or None, not {period!r}")
    value = float(period)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"callback_period must be a positive number of seconds, not {period!r}")
    if value < MIN_PERIOD:
        log.warning(
            "callback_period %s s is below the %s s floor; using %s s",
            value,
            MIN_PERIOD,
            MIN_PERIOD,
        )
    return max(value, MIN_PERIOD)


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

    # Shared by the session and its views (set in _start, copied by reference).
    _owner: BokehSession
    _server: EmbeddedServer
    _views: dict[str, BokehSession]
    _view_ids: list[str]
    _callback_errors: int = 0
    _setup_error: BaseException | None = None
    _ready: concurrent.futures.Future[None] | None = None  # the first view is made
    _first_view_lock: threading.Lock
    _first_view_started: bool
    # Per view.
    _doc: Document | None = None
    _callback: PeriodicCallback | None = None

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
        return self._doc

    @property
    def views(self) -> int:
        """How many views (Bokeh server sessions) are open now."""
        return len(getattr(self, "_views", ()))

    @property
    def view_id(self) -> str | None:
        """The signed id of the view the cell shows (a page reload re-attaches to it)."""
        ids = getattr(self, "_view_ids", None)
        return ids[0] if ids else None

    @property
    def app_url(self) -> str | None:
        """The embedded server's URL that serves this session's views, once opened."""
        server = getattr(self, "_server", None)
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
        if owner._ready is not None:  # just opened: its first view may not be made yet
            owner._make_first_view()
            concurrent.futures.wait([owner._ready], timeout)
        owner._ensure_running()
        futures = owner._server.call(owner._schedule_update, fn, args)
        _, pending = concurrent.futures.wait(futures, timeout)
        if pending:
            raise SessionError(f"update() did not finish within {timeout} s")
        return [future.result() for future in futures]

    def _session(self) -> BokehSession:
        """The opened session, whether called on it or on one of its views."""
        return self._owner if self.id is not None else self

    # -- lifecycle -------------------------------------------------------------

    def _start(self) -> None:
        self._owner = self
        self._views = {}
        self._view_ids = []
        self.callback_period = checked_period(self.callback_period)
        self._server = embedded_server()
        self._defer(self._close_views)
        self._setup_error = None
        self._ready = concurrent.futures.Future()
        self._first_view_lock = threading.Lock()
        self._first_view_started = False
        self._new_view_id()
        # Made once the cell has replied (or when update() or a page needs it first):
        # made in the cell it cost nine tenths of an open. If setup_model raises,
        # the session fails and its output shows the traceback (_first_view_made).
        after_this_cell(self._make_first_view_soon)

    def _make_first_view_soon(self) -> None:
        """Make the first view now for a connected page, else a moment later."""
        if page_origins():
            self._make_first_view()
        else:
            call_later(UNWATCHED_FIRST_VIEW_S, self._make_first_view)

    def _make_first_view(self) -> None:
        """Start making the first view, once (any thread: the IOPub's, the timer's, update()'s)."""
        with self._first_view_lock:
            started, self._first_view_started = self._first_view_started, True
        assert self._ready is not None  # set in _start, before this was scheduled
        if started:
            return
        if self.state.ended or self.closed:
            self._ready.set_result(None)
            return
        try:
            made = self._server.open_view(self._view_ids[0])
        except BaseException:  # the server stopped (kernel shutdown)
            self._ready.set_result(None)
            raise
        made.add_done_callback(self._first_view_made)

    def _first_view_made(self, made: concurrent.futures.Future[Any]) -> None:
        """The first view is made (server thread; the cell's, if that was quicker)."""
        try:
            error = self._setup_error or (None if made.cancelled() else made.exception())
            if self.closed:  # while it was made: nobody will see it
                self._close_views()
            elif error is not None:
                self._end(SessionState.FAILED, _failure(self, error))
        finally:
            assert self._ready is not None  # set in _start, before this was scheduled
            self._ready.set_result(None)

    def _new_view_id(self) -> str:
        """Mint a signed id for one more view of this session."""
        view_id = self._server.mint(self._make_view, self._view_destroyed, self._view_created)
        self._view_ids.append(view_id)
        return view_id

    def _close_views(self) -> None:
        for view_id in self._view_ids:
            self._server.forget(view_id)
        # The app's own callbacks stop now, not after the reply: a 50 ms one would tick.
        self._server.call_soon(self._stop_callbacks)
        # From now on no callback of this session runs (_tick); its views go on the
        # server thread once the closing cell has replied (at once from other
        # threads): waiting for them was most of what a re-run cost.
        after_this_cell(self._server.call_soon, self._stop_views)

    def _view(self) -> tuple[dict[str, Any], str]:
        # The cell's output keeps the first view id: a page reload re-attaches to it.
        view_id = self._view_ids[0]
        script = server_session(session_id=ID(view_id), url=self._server.app_url)
        data = {
            "url": self._server.app_url,
            "view_id": view_id,
            "token": self._server.token(view_id),
            "static": self._server.static_paths(),
        }
        return data, script

    def _info(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "callback_period": self.callback_period,
            "callback_errors": self._callback_errors if self.id is not None else 0,
        }

    # -- server thread ---------------------------------------------------------

    def _builder(self) -> str:
        """What builds a view, as an error names it."""
        return f"{type(self).__name__}.setup_model()"

    def _build(self, doc: Document) -> None:
        """Fill this view's ``doc`` (server thread, with ``curdoc()`` the document)."""
        model = self.setup_model()
        if model is not None:
            doc.add_root(model)

    def _make_view(self, doc: Document) -> None:
        """Fill a new document with a new view of this session; never raises."""
        view = copy.copy(self)
        view._doc = doc
        view._callback = None
        try:
            with_curdoc(doc, view._build)
        except Exception as exc:
            log.exception("%s failed", self._builder())
            self._setup_error = exc
            if self.id is not None:
                self._note_error(f"{self._builder()}: {exc!r}")
            _remove_callbacks(doc)  # what it scheduled before it raised
            doc.clear()
            doc.add_root(Div(text=_error_html(self._builder(), exc)))
            return
        context = doc.session_context
        assert context is not None  # server documents always have one
        self._views[context.id] = view
        view._reschedule(self.callback_period)

    def _view_created(self, context: Any) -> Awaitable[None] | None:
        """Bokeh is about to make a view (server thread): a kind's hook, before ``_build``."""
        return None

    def _view_destroyed(self, context: Any) -> Awaitable[None] | None:
        """Bokeh discarded a view (its browser left, or the session closed)."""
        self._views.pop(context.id, None)
        return None

    def _reschedule(self, period: float | None) -> None:
        """(Re)start this view's periodic callback at ``period`` seconds."""
        assert self._doc is not None
        self.callback_period = period
        if self._callback is not None:
            self._doc.remove_periodic_callback(self._callback)
            self._callback = None
        if period is not None:
            self._callback = self._doc.add_periodic_callback(self._tick, round(period * 1000))

    def _reschedule_all(self, period: float | None) -> None:
        for view in list(self._views.values()):
            view._reschedule(period)

    def _tick(self) -> None:
        owner = self._owner
        if owner.closed or owner.state.ended:  # its views are being taken down
            return
        try:
            self.periodic_callback()
        except Exception as exc:
            self._owner._report_callback_error(exc)

    def _report_callback_error(self, exc: Exception) -> None:
        self._callback_errors += 1
        message = f"periodic_callback: {exc!r}"
        repeated = self.error == message
        self._note_error(message)
        if repeated:
            log.debug("%s: %s (again, %d errors)", self.id, message, self._callback_errors)
        else:
            log.error(
                "%s.periodic_callback() failed in session %s",
                type(self).__name__,
                self.id,
                exc_info=exc,
            )

    def _stop_callbacks(self) -> None:
        """Stop every callback of every view, ours and the app's own (server thread)."""
        for view in list(self._views.values()):
            view._callback = None
            if view._doc is not None:
                _remove_callbacks(view._doc)

    def _stop_views(self) -> None:
        self._stop_callbacks()  # a view made since _close_views asked
        self._server.destroy_views(set(self._view_ids))
        self._views.clear()

    def _schedule_update(
        self, fn: Callable[..., T], args: tuple[Any, ...]
    ) -> list[concurrent.futures.Future[T]]:
        futures = []
        for view in list(self._views.values()):
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            futures.append(future)
            assert view._doc is not None
            view._doc.add_next_tick_callback(_completing(future, fn, view, *args))
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


class AppFailed(Exception):
    """An app's code raised where Bokeh caught it (a script's handler keeps the trace)."""

    def __init__(self, error: str, detail: str) -> None:
        super().__init__(error)
        self.detail = detail


def with_curdoc(doc: Document, fn: Callable[[Document], object]) -> None:
    """Run ``fn(doc)`` with ``bokeh.io.curdoc()`` returning ``doc``, as Bokeh's server does.

    Bokeh's patch is process-wide (a cell calling ``curdoc()`` meanwhile sees
    ``doc`` too) and not undone when the body raises, hence the catch inside it.
    """
    error: Exception | None = None
    with patch_curdoc(doc):
        try:
            fn(doc)
        except Exception as exc:
            error = exc
    if error is not None:
        raise error


def _remove_callbacks(doc: Document) -> None:
    for callback in list(doc.session_callbacks):
        doc.callbacks.remove_session_callback(callback)


_CALLERS = (os.path.dirname(os.path.dirname(__file__)), os.path.dirname(bokeh.application.__file__))


def _failure(session: BokehSession, exc: BaseException) -> str:
    head = f"{session._builder()} raised; fix it and run the cell again."
    if isinstance(exc, AppFailed):
        return f"{head}\n{exc.detail.rstrip()}"
    # From the user's code on: the frames that called it are ours, or Bokeh's handlers'.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_CALLERS):
        tb = tb.tb_next
    trace = "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()
    return f"{head}\n{trace}"


def _error_html(builder: str, exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc))
    return f"<pre style='color:#b00'>{html.escape(builder)} failed:\n{html.escape(text)}</pre>"
