"""When the embedded server's views are discarded, and their memory collected.

Bokeh discards server sessions without a connection in its ``_cleanup_sessions``,
which it runs on a periodic callback for the whole life of its server: at the 50 ms
this server used, a kernel doing nothing cost 0.8 % of a core with one static plot
open, with a page on it or not, and as much after it closed, where a plain kernel
costs 0.03 % (``benchmarks/bench_idle.py``; now 0.02 to 0.05 %). Here that cleanup
runs only when some view may have become unused, from one place
(:class:`Discards`), for two reasons:

- **departed**: a view is made (no page may ever connect: the kernel makes a first
  view) or loses a connection (a page went). The cleanup is due ``linger`` later,
  and again while some view is still waiting out its linger. With every view held
  by a page, or none left, no timer runs.
- **closed**: a closed view's connections were ended (``teardown.py``); the cleanup
  runs as soon as tornado has reported them closed, a few ms, not at a tick.

Bokeh's ``Document.destroy`` then runs a full ``gc.collect()`` per view (about 0.1 s
with the GIL held, which stalls every thread of the kernel); our documents skip it
(``teardown.ViewDocument``) and :class:`Discards` collects once for many views.

Everything here runs on the embedded server's thread; its two timers are the
server's only ones besides Bokeh's, and its cleanups run as the server's tasks
(``thread.py`` holds them, and cancels what is left when the loop ends). It
relies on private Bokeh state, named where it does (tested against the installed
Bokeh by the tests of the embedded server): ``BokehTornado``'s periodic jobs and
its ``_cleanup_sessions``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bokeh.server.connection import ServerConnection
from bokeh.server.session import ServerSession
from bokeh.server.tornado import BokehTornado

log = logging.getLogger(__name__)

# After the linger, so the view that set the check off is old enough to go at it.
SLACK_S = 0.05


class Discards:
    """Runs Bokeh's cleanup of unused views when one may be due; collects after it.

    ``linger_ms``: how long a view with no page is kept. ``collect_delay_s``: one
    full collection this long after the first uncollected view (seconds later, it
    rarely lands on the next close); ``collect_after_views``: or at once after this
    many, so a burst of re-runs leaves little garbage. ``spawn`` runs a coroutine
    as one of the server's tasks.
    """

    def __init__(
        self,
        spawn: Callable[[Coroutine[Any, Any, None]], object],
        linger_ms: int,
        collect_delay_s: float,
        collect_after_views: int,
    ) -> None:
        self._spawn = spawn
        self._linger_s = linger_ms / 1000
        self._collect_delay_s = collect_delay_s
        self._collect_after = collect_after_views
        self._app: BokehTornado | None = None
        self._sweep_timer: asyncio.TimerHandle | None = None
        self._collect_timer: asyncio.TimerHandle | None = None
        self._uncollected = 0  # views discarded since the last collection

    def attach(self, app: BokehTornado) -> None:
        """Take over from ``app``'s periodic cleanup, once its server started."""
        # Private Bokeh state: the jobs BokehTornado.start() started. The statistics
        # job only logs, at debug level, every 15 s; the keep-alive ping (37 s) stays,
        # for proxies that close a silent websocket.
        app._cleanup_job.stop()
        app._stats_job.stop()
        self._app = app

    def departed(self) -> None:
        """A view was made or lost a connection: a cleanup after the linger."""
        if self._sweep_timer is not None or self._app is None:
            return
        loop = asyncio.get_running_loop()
        self._sweep_timer = loop.call_later(self._linger_s + SLACK_S, self._sweep_now)

    def closed(self, sessions: list[ServerSession], timeout: float = 2.0) -> None:
        """``sessions``' connections were ended: a cleanup once tornado saw them close.

        A session is discarded only once its connections have gone (a discarded
        session whose websocket closes later makes Bokeh raise), so this polls until
        tornado has reported the closed websockets, a loop turn or two. After
        ``timeout`` the departed check (their connections going) takes over.
        """
        self._spawn(self._sweep_when_unused(sessions, timeout))

    def discarded(self) -> None:
        """A view was discarded: one full ``gc.collect()`` soon, for it and the next ones."""
        loop = asyncio.get_running_loop()
        self._uncollected += 1
        if self._uncollected >= self._collect_after:
            # Soon, not here: this runs in Bokeh's discard, which is still going on.
            loop.call_soon(self._collect)
        elif self._collect_timer is None:
            self._collect_timer = loop.call_later(self._collect_delay_s, self._collect)

    def stop(self) -> None:
        """Cancel the timers and run no more cleanups (the server's loop is ending)."""
        for timer in (self._sweep_timer, self._collect_timer):
            if timer is not None:
                timer.cancel()
        self._sweep_timer = self._collect_timer = None
        self._app = None

    def _sweep_now(self) -> None:
        self._sweep_timer = None
        self._spawn(self._sweep())

    async def _sweep_when_unused(self, sessions: list[ServerSession], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(s.connection_count for s in sessions) and loop.time() < deadline:
            await asyncio.sleep(0.002)
        await self._sweep()

    async def _sweep(self) -> None:
        """Bokeh's cleanup: discard every unused view due (the one call of it)."""
        if self._app is None:
            return
        try:
            # Private Bokeh method: the body of the periodic cleanup it replaces. Two
            # runs could only overlap if one waited for a document lock held across
            # an await by an async callback; our views' callbacks are synchronous.
            await self._app._cleanup_sessions()
        except Exception:
            log.warning("Discarding unused views failed", exc_info=True)
        if self._app is not None and any(
            session.connection_count == 0
            for context in self._app.applications.values()
            for session in context.sessions
        ):
            self.departed()  # some view is still within its linger

    def _collect(self) -> None:
        if self._collect_timer is not None:
            self._collect_timer.cancel()
            self._collect_timer = None
        if self._uncollected:
            self._uncollected = 0
            gc.collect()


class ViewsTornado(BokehTornado):
    """Bokeh's tornado application, telling :class:`Discards` when a page goes.

    Both routes a page connects by end here: a websocket's close and a comm link's
    (``comm_link.py``) call ``client_lost``.
    """

    def __init__(self, *args: Any, discards: Discards, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.discards = discards

    def client_lost(self, connection: ServerConnection) -> None:
        """Bokeh's: forget ``connection``; then a cleanup for views left unused."""
        super().client_lost(connection)
        self.discards.departed()
