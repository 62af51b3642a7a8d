"""Views no page holds are discarded, with no timer running while nothing can change.

Bokeh looks for server sessions without a connection on a periodic callback
(``check_unused_sessions_milliseconds``) for the whole life of its server: at the
50 ms this server used, a kernel doing nothing cost 0.8 % of a core with one static
plot open, with a page on it or not, and as much after it closed, where a plain
kernel costs 0.03 % (``benchmarks/bench_idle.py``; now 0.02 to 0.05 %). A view can
become unused at two moments only: when it is made (no page may ever connect: the
kernel makes a first view) and when it loses a connection (a page went). So a check
is due ``linger`` after one of those, and is scheduled then, and again while some
view is still waiting out its linger. With every view held by a page, or none left, no timer runs.

Closed sessions' views do not wait for this either: ``teardown.py`` discards them
as soon as their websockets are closed.

Everything here runs on the embedded server's thread. It relies on private Bokeh
state, named where it does (tested against the installed Bokeh by the tests of the
embedded server): ``BokehTornado``'s periodic jobs and its ``_cleanup_sessions``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bokeh.server.connection import ServerConnection
from bokeh.server.tornado import BokehTornado

log = logging.getLogger(__name__)

# After the linger, so the view that set the check off is old enough to go at it.
SLACK_S = 0.05


class DepartedViews:
    """Discards views without a connection ``linger_ms`` after they lost their page."""

    def __init__(self, linger_ms: int) -> None:
        self._linger_s = linger_ms / 1000
        self._app: BokehTornado | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._sweeps: set[asyncio.Task[None]] = set()  # strong refs while they run

    def attach(self, app: BokehTornado) -> None:
        """Take over from ``app``'s periodic cleanup, once its server started."""
        # Private Bokeh state: the jobs BokehTornado.start() started. The statistics
        # job only logs, at debug level, every 15 s; the keep-alive ping (37 s) stays,
        # for proxies that close a silent websocket.
        app._cleanup_job.stop()
        app._stats_job.stop()
        self._app = app

    def expect(self) -> None:
        """A view was made or lost a connection: check for unused views after the linger."""
        if self._timer is not None or self._app is None:
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._linger_s + SLACK_S, self._sweep)

    def stop(self) -> None:
        """Cancel what is pending: nothing of ours outlives the server's loop."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._sweeps):
            task.cancel()
        self._app = None

    def _sweep(self) -> None:
        self._timer = None
        if self._app is None:
            return
        # Private Bokeh method: the body of the periodic cleanup it replaces.
        task = asyncio.ensure_future(self._app._cleanup_sessions())
        self._sweeps.add(task)
        task.add_done_callback(self._swept)

    def _swept(self, task: asyncio.Task[None]) -> None:
        self._sweeps.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("Discarding unused views failed", exc_info=task.exception())
        if self._app is not None and any(
            session.connection_count == 0
            for context in self._app.applications.values()
            for session in context.sessions
        ):
            self.expect()  # some view is still within its linger


class ViewsTornado(BokehTornado):
    """Bokeh's tornado application, telling :class:`DepartedViews` when a page goes.

    Both routes a page connects by end here: a websocket's close and a comm link's
    (``comm_link.py``) call ``client_lost``.
    """

    def __init__(self, *args: Any, departed: DepartedViews, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departed = departed

    def client_lost(self, connection: ServerConnection) -> None:
        """Bokeh's: forget ``connection``; then a check for views left unused."""
        super().client_lost(connection)
        self.departed.expect()
