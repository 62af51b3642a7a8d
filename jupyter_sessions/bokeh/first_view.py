"""When a Bokeh session's first view is made: after its cell replied, once.

Made in the cell, the first view cost nine tenths of an open; made after the
reply, it neither lengthens the cell nor competes with it for the GIL.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from ..core.channel import page_origins
from ..core.session import Session, SessionState
from ..core.threads import call_later
from .building import failure

#: Seconds a first view waits to be made when no page is connected (papermill, a
#: script's kernel, a frontend without the extension): a re-run that comes sooner
#: closes the session, and nothing is built that nobody would see. A page that
#: connects meanwhile has it made at once.
UNWATCHED_FIRST_VIEW_S = 0.25


class FirstView:
    """When a session's first view is made: once, after its cell replied.

    At once for a connected page, else ``UNWATCHED_FIRST_VIEW_S`` later (a re-run
    that comes sooner builds nothing), and at once when ``update()`` needs it.
    ``open_view`` starts making it. A build that raised meanwhile (``error``, which
    ``builder`` names) fails ``session``, and its output shows why.
    """

    def __init__(
        self,
        session: Session,
        open_view: Callable[[], concurrent.futures.Future[Any]],
        builder: str,
    ) -> None:
        self._session = session
        self._open_view = open_view
        self._builder = builder
        self.error: BaseException | None = None
        self.made: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._lock = threading.Lock()
        self._started = False

    def soon(self) -> None:
        """Make it now for a connected page, else a moment later (the IOPub thread)."""
        if page_origins():
            self.now()
        else:
            call_later(UNWATCHED_FIRST_VIEW_S, self.now)

    def now(self) -> None:
        """Start making it, once (any thread: the IOPub's, the timer's, update()'s)."""
        with self._lock:
            started, self._started = self._started, True
        if started:
            return
        session = self._session
        if session.state.ended or session.closed:
            self.made.set_result(None)
            return
        try:
            opening = self._open_view()
        except BaseException:  # the server stopped (kernel shutdown)
            self.made.set_result(None)
            raise
        opening.add_done_callback(self._opened)

    def wait(self, timeout: float) -> None:
        """Make it now if it is not under way, and wait (at most ``timeout`` s) for it."""
        self.now()
        concurrent.futures.wait([self.made], timeout)

    def _opened(self, opening: concurrent.futures.Future[Any]) -> None:
        """The first view is made (server thread; the cell's, if that was quicker)."""
        session = self._session
        try:
            error = self.error or (None if opening.cancelled() else opening.exception())
            if error is not None and not session.closed:
                session._end(SessionState.FAILED, failure(self._builder, error))
        finally:
            self.made.set_result(None)
