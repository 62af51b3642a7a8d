"""The kernel's one embedded Bokeh server: started on first use, stopped at shutdown.

This is where the Bokeh kind plugs into the core for what its sessions share: the
server stops at kernel shutdown (``runtime.at_shutdown``), the origins of the
pages the frontend channel knows are allowed on its websocket (``channel.on_page``,
so a page behind a proxy can connect), pages that reach neither get their views
over comms (``comm_link``), and ``print_info()`` shows its address
(``diagnostics.add_summary``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..core import channel, diagnostics, runtime
from ..core.messages import Hello
from . import comm_link
from .server import EmbeddedServer

log = logging.getLogger(__name__)

_server: EmbeddedServer | None = None
_lock = threading.Lock()


def embedded_server() -> EmbeddedServer:
    """The kernel's embedded Bokeh server, started on first use (any thread)."""
    global _server
    with _lock:
        if _server is None:
            _server = EmbeddedServer()
            for origin in channel.page_origins():
                _allow(_server, origin)
            channel.on_page(_allow_page)
            runtime.at_shutdown(_stop)
            comm_link.register(_server)
            diagnostics.add_summary(_summary)
        if not _server.running:
            _server.start()
        return _server


def running_server() -> EmbeddedServer | None:
    """The embedded Bokeh server if it runs, without starting it."""
    server = _server
    return server if server is not None and server.running else None


def server_info() -> dict[str, Any]:
    """The embedded Bokeh server as plain data: url, running, live view sessions."""
    server = running_server()
    if server is None:
        return {"url": None, "running": False, "view_sessions": 0}
    count = server.call(lambda: len(server.view_sessions()))
    return {"url": server.url, "running": True, "view_sessions": count}


def _allow_page(hello: Hello) -> None:
    """A page connected (comm thread): let it reach views, also through a proxy."""
    server = _server
    if server is not None:
        _allow(server, hello["origin"])


def _allow(server: EmbeddedServer, origin: str) -> None:
    try:
        server.allow_origin(origin)
    except ValueError:
        log.warning("A page sent an origin that cannot be allowed: %r", origin)


def _stop() -> None:
    server = running_server()
    if server is not None:
        server.stop()


def _summary() -> str:
    info = server_info()
    if not info["running"]:
        return "Bokeh server: stopped"
    return f"Bokeh server: {info['url']} ({info['view_sessions']} live view sessions)"
