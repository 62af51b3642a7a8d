"""How the embedded server's views go: at once, and without a full gc.collect() each.

Bokeh, left to itself, destroys a closed view's server session at its next
cleanup tick, once the browser has answered the websocket close, and then runs a
full ``gc.collect()`` in ``Document.destroy``: about 0.1 s with the GIL held, per
view, which stalls every thread of the kernel. Here:

- closing ends the websocket's TCP stream right after the close frame, and runs
  Bokeh's own cleanup as soon as tornado reports it closed (a few ms);
- our documents are :class:`ViewDocument`, whose ``destroy`` is Bokeh's without
  the collection; :class:`ViewTeardown` collects once for many views instead.

Measured in the browser (``benchmarks/bench_browser.py``): clear output -> server
session destroyed went from 290 to 26 ms p95. Everything here runs on the
embedded server's thread. It touches private Bokeh and tornado state, named
where it does.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

from bokeh.application.handlers.handler import Handler
from bokeh.document import Document
from bokeh.server.session import ServerSession
from bokeh.server.tornado import BokehTornado

# A view's hook, run with its Bokeh session context (server thread); may be async.
ViewHook = Callable[[Any], Awaitable[None] | None]


class ViewTeardown:
    """Discards closed views at once and batches their garbage collection.

    ``collect_delay_s``: a full collection this long after the first uncollected
    view (seconds later, it rarely lands on the next close); ``collect_after_views``:
    or at once after this many, so a burst of re-runs leaves little garbage.
    """

    def __init__(self, collect_delay_s: float, collect_after_views: int) -> None:
        self._delay_s = collect_delay_s
        self._after_views = collect_after_views
        self._uncollected = 0  # views discarded since the last collection
        self._timer: asyncio.TimerHandle | None = None
        self._discards: set[asyncio.Task[None]] = set()  # strong refs to running tasks

    def destroy(self, tornado_app: BokehTornado, sessions: list[ServerSession]) -> None:
        """Disconnect the browsers of ``sessions`` and discard them, a few ms from now.

        Bokeh has no public "destroy now" for a session with connections, so this
        closes the websockets and asks for expiration; Bokeh's own cleanup then
        destroys the documents, running its usual hooks.
        """
        for session in sessions:
            # Private Bokeh and tornado state: a session's connections, their handlers.
            for connection in list(session._subscribed_connections):
                _disconnect(connection._socket)
            session.request_expiration()
        task = asyncio.ensure_future(self._discard(tornado_app, sessions))
        self._discards.add(task)
        task.add_done_callback(self._discards.discard)

    def view_destroyed(self) -> None:
        """A view was discarded: one full ``gc.collect()`` soon, for it and the next ones."""
        loop = asyncio.get_running_loop()
        self._uncollected += 1
        if self._uncollected >= self._after_views:
            # Soon, not here: this runs in Bokeh's discard, which is still going on.
            loop.call_soon(self._collect)
        elif self._timer is None:
            self._timer = loop.call_later(self._delay_s, self._collect)

    async def drain(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) for the discards under way: their hooks run."""
        if self._discards:
            await asyncio.wait(list(self._discards), timeout=timeout)

    def stop(self) -> None:
        """Cancel what is pending: nothing of ours outlives the server's loop."""
        for task in list(self._discards):
            task.cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _discard(
        self, tornado_app: BokehTornado, sessions: list[ServerSession], timeout: float = 2.0
    ) -> None:
        """Run Bokeh's cleanup once ``sessions`` have no websockets, not at its next tick.

        A session is discarded only once its connections have gone (a discarded
        session whose websocket closes later makes Bokeh raise), so this polls until
        tornado has reported the closed websockets, a loop turn or two. After
        ``timeout`` the check made when their connections go takes over (departed.py).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(s.connection_count for s in sessions) and loop.time() < deadline:
            await asyncio.sleep(0.002)
        # Private Bokeh method: the body of the periodic cleanup. Two runs could only
        # overlap if one waited for a document lock held across an await by an async
        # callback; our views' callbacks are synchronous.
        await tornado_app._cleanup_sessions()

    def _collect(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._uncollected:
            self._uncollected = 0
            gc.collect()


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
    plus letting go of the models no browser ever synced; :class:`ViewTeardown`
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


class ViewLifecycle(Handler):
    """Tells a view's owner that Bokeh made or discarded the view (server thread).

    An application handler rather than ``doc.on_session_destroyed``: a document
    with such callbacks makes Bokeh run a second full ``gc.collect()`` per view.
    Both hooks are awaited where Bokeh awaits an application's: before the view's
    document is filled, and after it was destroyed.
    """

    def __init__(self, created: ViewHook, destroyed: ViewHook) -> None:
        super().__init__()
        self._on_created = created
        self._on_destroyed = destroyed

    def modify_document(self, doc: Document) -> None:
        """Nothing to add: the FunctionHandler fills the document."""

    async def on_session_created(self, session_context: Any) -> None:
        await awaited(self._on_created(session_context))

    async def on_session_destroyed(self, session_context: Any) -> None:
        await awaited(self._on_destroyed(session_context))


async def awaited(result: Awaitable[None] | None) -> None:
    """Await what a hook returned, if it was a coroutine (hooks may be either)."""
    if result is not None:
        await result
