"""A view's Bokeh protocol carried over a Jupyter comm: live views wherever the
kernel's messages reach a page.

A page that cannot reach the embedded server (a remote kernel behind a Kernel
Gateway, a hub whose proxy cannot see the kernel's 127.0.0.1) opens a comm to the
view instead of a websocket. The embedded server stays the one place where
documents live; only the transport between a server session and the page
changes. The comm stands in for Bokeh's websocket handler: it is a Bokeh
``ServerConnection``'s socket, so documents, periodic callbacks, patches and
teardown are exactly those of a websocket view.

Wire format, one comm message per Bokeh message either way::

    data = {"fragments": [header, metadata, content, buffer_header, {"b64": "..."}, ...]}

Text fragments are a Bokeh message's JSON parts in order; ``{"b64": ...}`` is a
binary fragment, base64 in the JSON rather than a comm buffer: a Jupyter server in
front of a Kernel Gateway forwards a kernel's binary websocket frames as text
frames (``GatewayWebSocketConnection.handle_outgoing_message`` in jupyter_server
2.x), which breaks every message with buffers on its way to the page.

BokehJS itself reaches such a page over the kernel's channel too (``BOKEHJS_TARGET``):
once per page, on request, never into the saved notebook.

Security: the page presents the view's signed token, as over the websocket; a bad
signature closes the comm at once. Only an authenticated Jupyter frontend can open
a comm at all.

Threads: comm callbacks arrive on a shell thread (the main shell, or a subshell
while a cell runs); they only hand fragments to the server thread, which does all
the Bokeh work and sends. Comm sends from a non-main thread go through ipykernel's
IO thread, so pushes do not wait for a busy cell.

Bokeh internals relied on, pinned by ``tests/test_comm_link.py`` against the
installed Bokeh: ``BokehTornado.new_connection``/``client_lost``, an application
context's ``create_session_if_needed``/``get_session``, ``Receiver``,
``ProtocolHandler``, ``Message``'s ``header_json``/``metadata_json``/
``content_json``/``buffers`` (``ref``, ``to_bytes()``), and a connection's socket
needing ``send_message``, ``ping`` and ``close``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from typing import Any

from bokeh.core.types import ID
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.protocol import Protocol
from bokeh.protocol.exceptions import ProtocolError
from bokeh.protocol.message import Message
from bokeh.protocol.receiver import Receiver
from bokeh.resources import Component, Resources
from bokeh.server.connection import ServerConnection
from bokeh.server.protocol_handler import ProtocolHandler
from bokeh.util.token import check_token_signature, get_session_id
from comm import get_comm_manager

from .server import APP_PATH, EmbeddedServer

log = logging.getLogger(__name__)

VIEW_TARGET = "jupyter_sessions.bokeh.view.v1"
BOKEHJS_TARGET = "jupyter_sessions.bokehjs.v1"
# MathJax (1.8 MB more) is left out: a view that needs it loads it from a server.
BOKEHJS_COMPONENTS: list[Component] = ["bokeh", "bokeh-gl", "bokeh-widgets", "bokeh-tables"]


class CommLink:
    """One view's connection to its page over a comm: a Bokeh connection's socket.

    Created on a comm thread; everything after ``__init__`` runs on the server thread.
    """

    def __init__(self, server: EmbeddedServer, comm: Any, token: str) -> None:
        self._server = server
        self._comm = comm
        self._token = token
        self._receiver = Receiver(Protocol())
        self._handler = ProtocolHandler()
        self._connection: ServerConnection | None = None
        self._closed = False
        # One message at a time, in order, as tornado does for a websocket.
        self._turn = asyncio.Lock()

    async def open(self) -> None:
        """Attach to the view's server session and greet the page (server thread)."""
        async with self._turn:
            await self._open()

    async def _open(self) -> None:
        tornado_app = self._server.tornado_app
        context = tornado_app.applications[APP_PATH]
        session_id = ID(get_session_id(self._token))
        try:
            await context.create_session_if_needed(session_id, None, self._token)
        except ProtocolError as exc:
            log.warning("A page asked over a comm for a view that cannot open: %s", exc)
            self.close()
            return
        if self._closed:  # the page went while the document was being built
            return
        session = context.get_session(session_id)
        # Bokeh types the socket as its websocket handler; it uses only what we have.
        self._connection = tornado_app.new_connection(Protocol(), self, context, session)  # type: ignore[arg-type]
        await self.send_message(self._connection.protocol.create("ACK"))

    async def receive(self, fragments: list[Any]) -> None:
        """Handle one Bokeh message from the page (server thread); a bad one ends the view."""
        async with self._turn:
            await self._receive(fragments)

    async def _receive(self, fragments: list[Any]) -> None:
        if self._connection is None or self._closed:
            return
        try:
            message = None
            for fragment in fragments:
                if isinstance(fragment, dict):
                    fragment = base64.b64decode(fragment["b64"])
                message = await self._receiver.consume(fragment)
            if message is None:
                raise ProtocolError("a comm message held no whole Bokeh message")
            work = await self._handler.handle(  # type: ignore[no-untyped-call]
                message, self._connection
            )
            if isinstance(work, Message):
                await self.send_message(work)
        except Exception as exc:  # as Bokeh's websocket handler does: that view ends
            log.warning("Closing a view's comm after a bad message from its page: %r", exc)
            self.close()

    async def send_message(self, message: Message[Any]) -> None:
        """Send one Bokeh message to the page (server thread; Bokeh calls this)."""
        if self._closed:
            return
        fragments: list[Any] = [message.header_json, message.metadata_json, message.content_json]
        for buffer in message.buffers:
            payload = base64.b64encode(buffer.to_bytes()).decode("ascii")
            fragments += [json.dumps(buffer.ref), {"b64": payload}]
        self._comm.send({"fragments": fragments})

    def ping(self, data: bytes) -> None:
        """Bokeh's keep-alive: a comm needs none (the kernel connection has its own)."""

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        """End the view's connection and close the comm (server thread); idempotent."""
        if self._closed:
            return
        self.lost()
        self._comm.close()

    def lost(self) -> None:
        """The page closed the comm, or we did: detach from the session (server thread)."""
        if self._closed:
            return
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is None:
            return
        connection.session.notify_connection_lost()
        self._server.tornado_app.client_lost(connection)


def open_view(server: EmbeddedServer, comm: Any, open_msg: dict[str, Any]) -> None:
    """Comm target callback (a shell thread): a page wants a view over the kernel's channel."""
    token = str((open_msg["content"].get("data") or {}).get("token", ""))
    if not check_token_signature(token, secret_key=server.secret, signed=True):
        log.warning("Refused a view comm with an unsigned or forged token")
        comm.close({"error": "invalid session token"})
        return
    if not server.running:
        comm.close({"error": "the Bokeh server is not running"})
        return
    link = CommLink(server, comm, token)

    def on_msg(msg: dict[str, Any]) -> None:
        fragments = (msg["content"].get("data") or {}).get("fragments")
        if not isinstance(fragments, list):
            log.warning("Ignoring a view comm message with no fragments")
            return
        server.spawn(link.receive(fragments))

    async def on_close() -> None:
        link.lost()

    comm.on_msg(on_msg)
    comm.on_close(lambda _msg: server.spawn(on_close()))
    server.spawn(link.open())


def send_bokehjs(comm: Any, open_msg: dict[str, Any]) -> None:
    """Comm target callback: send the page the BokehJS files it lacks, then close.

    The page names the files it already ran (``have``: ``bokeh.min.js``, ...), so a
    view of an extension imported later (Panel) brings only ``panel.min.js``.
    """
    have = set((open_msg["content"].get("data") or {}).get("have") or [])
    # With the extensions whose models are loaded (panel.min.js once Panel is imported).
    resources = Resources(mode="inline", components=BOKEHJS_COMPONENTS)
    named = [
        (script_name(code), code) for code in bundle_for_objs_and_resources(None, resources).js_raw
    ]
    missing = [(name, code) for name, code in named if name not in have]
    comm.send({"names": [name for name, _ in missing], "scripts": [c for _, c in missing]})
    comm.close()


def script_name(code: str) -> str:
    """The file an inline BokehJS script came from (``/* BEGIN panel.min.js */``), or ""."""
    found = _BEGIN.match(code)
    return found.group(1) if found else ""


_BEGIN = re.compile(r"/\* BEGIN (\S+) \*/")


def register(server: EmbeddedServer) -> None:
    """Register the view and BokehJS comm targets on the running kernel (no-op outside one)."""
    try:
        manager = get_comm_manager()
    except Exception:  # plain IPython or python: no comms
        return
    manager.register_target(VIEW_TARGET, lambda comm, msg: open_view(server, comm, msg))
    manager.register_target(BOKEHJS_TARGET, send_bokehjs)
