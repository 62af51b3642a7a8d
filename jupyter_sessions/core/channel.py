"""The frontend channel: comms through which JupyterLab says an output went away.

The kernel alone learns that a cell's output was cleared, or a cell deleted, only at
the next execution. The JupyterLab extension tells it at once, over a comm (never an
execute_request: those bump the execution count, enter the history and queue behind
a busy cell).

Each notebook page opens two comms per kernel, one per direction:

- ``jupyter_sessions.v1``: page to kernel (hello, view shown, view disposed, cells
  cleared or deleted, close). The kernel never sends on it, and that matters: ipykernel 7
  routes a comm's incoming messages to the shell the kernel last sent on it from,
  so a kernel-side send from the main thread would pull every later message of
  the page onto the main shell, behind a busy cell.
- ``jupyter_sessions.sessions.v1``: kernel to page, the list of open sessions
  on connect and once per change (opened, each change of state, gone; a close is
  one change), for the side panel.

A page opens them when an output of ours renders. A session that no output shows
(what capture owns, ``show=False``) has the kernel call the pages once
(:func:`call_pages`: a comm ``jupyter_sessions.call.v1`` the page answers by
connecting), so clearing that cell's output releases it too.

Kinds that care where pages are (the Bokeh kind allows their origins on its
websocket) ask :func:`page_origins` and :func:`on_page`; the channel knows no kind.

A page closes both comms when it goes (notebook closed, page reloaded or closed:
``pagehide``), which is the only way the kernel learns of it. That last word can be
lost: a page unloading on a busy machine may not flush its websocket. So each page
names itself (``page``, a fresh id per page load) and the page the tab showed before
it (``replaces``, kept in the tab's ``sessionStorage``): a reloaded page's hello
closes whatever its predecessor left open, with ``{"reason": "replaced"}`` (a
duplicated tab copies ``sessionStorage``: the live original hears that reason and
connects again). A page that dies without a word and is never replaced (a crashed
browser) leaves its feed open until the kernel ends.

Threads: with ipykernel 7 and JupyterLab >= 4.4 the page's messages arrive on a
subshell thread while a cell runs; handlers only read the registry and close
sessions, both thread safe, so clearing an output closes its session even while
another cell computes. Messages are idempotent: a late or repeated one finds its
session already closed and does nothing. A malformed one (a ``session_id`` that is not
a string, ``cells`` that are not a list of cell ids) is refused whole and logged,
never coerced: a string or an object given as ``cells`` would otherwise iterate to
names that may be real cells' ids, and close their sessions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from comm import create_comm, get_comm_manager

from .callbacks import call_each
from .diagnostics import sessions
from .heartbeat import Heartbeat, period
from .lifecycle import SessionState
from .messages import (
    CALL_TARGET,
    FEED_TARGET,
    TARGET,
    HeartbeatMessage,
    Hello,
    SessionsMessage,
    page_of,
    parse_channel,
)
from .registry import Event, registry
from .time_to_live import watching

log = logging.getLogger(__name__)

# The states of a close, which the session's removal says (see Channel._on_event).
_SAID_BY_REMOVAL = frozenset({SessionState.TERMINATING, SessionState.TERMINATED})


PageListener = Callable[[Hello], None]


class Channel:
    """The kernel's end: the pages' comms, where the pages are, and what they ask."""

    def __init__(self) -> None:
        self._feeds: dict[str, Any] = {}
        self._pages: dict[str, Hello] = {}
        # Every page comm (commands and feed), with the id of the page that opened it.
        self._comms: dict[str, tuple[Any, str]] = {}
        self._page_listeners: list[PageListener] = []
        # The pages were called (call_pages) and no page has connected since.
        self._called = False
        self._lock = threading.Lock()
        # Held while a list of sessions is made and sent. Events come from any thread;
        # without it a list made before a close could go out after the list made after
        # it, and the page would show the closed session as open.
        self._send_lock = threading.Lock()
        self._heartbeat = Heartbeat(lambda page: self._close_page(page, "silent"))
        # From now on, so it hears of every session opened; a clock that starts or
        # stops changes when a session closes, which the pages show.
        watching().on_change(self._send_to_feeds)
        self._unsubscribe = registry().subscribe(self._on_event)

    @property
    def pages(self) -> list[Hello]:
        """The pages connected now, as they introduced themselves (any thread)."""
        with self._lock:
            return list(self._pages.values())

    def on_page(self, listener: PageListener) -> None:
        """Call ``listener(hello)`` for every page that connects from now on."""
        with self._lock:
            self._page_listeners.append(listener)

    @property
    def open_feeds(self) -> list[str]:
        """Comm ids of the pages fed the list of sessions now (any thread; for tests)."""
        with self._lock:
            return list(self._feeds)

    def open_commands(self, comm: Any, open_msg: dict[str, Any]) -> None:
        """Comm target callback: a page will tell us what goes away. Never send on it."""
        with self._lock:
            self._comms[comm.comm_id] = (comm, page_of(open_msg))
        comm.on_msg(self._on_msg)
        comm.on_close(self._on_close)
        self._on_msg(open_msg)

    def call_pages(self) -> None:
        """Ask the pages to connect, once until one has (a session no output shows)."""
        with self._lock:
            if self._feeds or self._called:
                return
            self._called = True
        try:
            create_comm(target_name=CALL_TARGET).close()
        except Exception:
            log.debug("Could not call the pages", exc_info=True)

    def open_feed(self, comm: Any, open_msg: dict[str, Any]) -> None:
        """Comm target callback: a page wants the list of sessions as it changes."""
        with self._lock:
            self._feeds[comm.comm_id] = comm
            self._comms[comm.comm_id] = (comm, page_of(open_msg))
        comm.on_close(self._on_close)
        self._heartbeat.heard(page_of(open_msg))
        try:
            comm.send(HeartbeatMessage(type="heartbeat", seconds=period()))
        except Exception:
            log.debug("Could not send to comm %s", comm.comm_id, exc_info=True)
        self._send_sessions([comm])

    def _on_close(self, msg: dict[str, Any]) -> None:
        self._forget(msg["content"]["comm_id"])

    def _forget(self, comm_id: str) -> None:
        with self._lock:
            if self._feeds.pop(comm_id, None) is not None and not self._feeds:
                self._called = False  # the next page is called again when needed
            self._pages.pop(comm_id, None)
            _, page = self._comms.pop(comm_id, (None, ""))
            gone = page and all(of != page for _, of in self._comms.values())
        if gone:
            self._heartbeat.forget(page)
            watching().page_went(page)

    def _close_page(self, page: str, reason: str) -> None:
        """Close what page ``page`` left open: it was replaced by a reload, or fell silent."""
        with self._lock:
            left = [(comm_id, comm) for comm_id, (comm, of) in self._comms.items() if of == page]
        for comm_id, comm in left:
            self._forget(comm_id)
            try:
                comm.close({"reason": reason})
            except Exception:
                log.debug("Could not close comm %s", comm_id, exc_info=True)
        if left:
            log.info("Closed %d comm(s) of page %s (%s)", len(left), page, reason)

    def _on_msg(self, msg: dict[str, Any]) -> None:
        """Handle a page's message (comm_open or comm_msg); a bad one is logged, not raised."""
        content = msg["content"]
        try:
            with self._lock:
                _, page = self._comms.get(content["comm_id"], (None, ""))
            self._heartbeat.heard(page)
            self._handle(content["comm_id"], page, content.get("data") or {})
        except Exception:
            log.warning("Bad message from the frontend: %r", content, exc_info=True)

    def _handle(self, comm_id: str, page: str, data: dict[str, Any]) -> None:
        message = parse_channel(data)
        if message is None:
            return
        reg = registry()
        if message["type"] == "hello":
            self._hello(comm_id, message)
        elif message["type"] == "alive":
            return  # heard: that is all it says
        elif message["type"] == "cells_cleared" or message["type"] == "cells_deleted":
            reg.close(reg.owned_by(message["cells"]))
        elif message["type"] == "view_shown":
            self._shown(page, message["session_id"])
        else:  # view_disposed, close
            session = reg.get(message["session_id"])
            if session is not None:  # else closed already: a late or repeated message
                session.close()

    def _shown(self, page: str, session_id: str) -> None:
        session = registry().get(session_id)
        if session is None or session._lifecycle is None:
            return
        session._lifecycle.shown = True
        watching().shown(page, session_id)

    def _hello(self, comm_id: str, hello: Hello) -> None:
        if hello["replaces"] and hello["replaces"] != hello["page"]:
            self._close_page(hello["replaces"], "replaced")
        with self._lock:
            self._pages[comm_id] = hello
            listeners = list(self._page_listeners)
        if hello["page"]:
            watching().page_came(hello["page"], hello["time_to_live_minutes"])
        call_each(listeners, hello, what=f"Page hello {hello}")

    def _on_event(self, event: Event) -> None:
        """Send the list once per change a page sees: opened, each state, gone.

        A close says itself once, by the removal that follows its TERMINATING and
        TERMINATED at once on the same thread: a list that still showed the closing
        session would be out of date before it arrived.
        """
        if event.kind == "state" and event.state in _SAID_BY_REMOVAL:
            return
        self._send_to_feeds()

    def _send_to_feeds(self) -> None:
        with self._lock:
            feeds = list(self._feeds.values())
        self._send_sessions(feeds)

    def _send_sessions(self, comms: list[Any]) -> None:
        if not comms:
            return
        with self._send_lock:
            message = SessionsMessage(type="sessions", sessions=sessions())
            for comm in comms:
                try:
                    comm.send(message)
                except Exception:
                    log.debug("Could not send to comm %s", comm.comm_id, exc_info=True)


_channel = Channel()


def channel() -> Channel:
    """The kernel's end of the frontend channel (exists in any process; fed in a kernel)."""
    return _channel


def call_pages() -> None:
    """Ask this kernel's pages to connect: a session shows no output (any thread)."""
    _channel.call_pages()


def page_origins() -> list[str]:
    """The origins of the pages connected now (``https://hub.example.org``)."""
    return [hello["origin"] for hello in _channel.pages]


def on_page(listener: PageListener) -> None:
    """Call ``listener(hello)`` for every page that connects from now on (a comm thread)."""
    _channel.on_page(listener)


_registered = False


def register() -> None:
    """Register the comm targets on the running kernel once (no-op outside a kernel)."""
    global _registered
    if _registered:
        return
    try:
        manager = get_comm_manager()
    except Exception:  # plain IPython or python: no comms, nothing to register
        return
    _registered = True
    manager.register_target(TARGET, _channel.open_commands)
    manager.register_target(FEED_TARGET, _channel.open_feed)
