"""The embedded Bokeh server: one per kernel, on its own thread and IOLoop.

Why its own thread: Bokeh's ``show(app)`` runs the server on the kernel's own
loop, so periodic callbacks stop dead while any cell computes. Here the server
thread owns every Bokeh document; code on other threads reaches it through
:meth:`EmbeddedServer.call` (``thread.py``), never by touching documents directly.

Security: it listens on 127.0.0.1 only; ``generate_session_ids=False`` with
signed ids means only the kernel (which holds the per-kernel secret) can mint a
view id, so the server refuses unsigned and forged ids, and websocket tokens with a
bad signature before the upgrade (``websocket.py``); websocket origins are an
explicit list (loopback pages by default, never ``*``), plus VS Code's
notebook webviews (``vscode-webview://``, see ``websocket.py``).

Each view id the kernel mints is a :class:`View` in the server's one table
(``views.py``); each document Bokeh makes is routed to its view, whose owner fills
it (``routing.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterable

from bokeh.core.has_props import HasProps
from bokeh.core.types import ID
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.server.server import BaseServer
from bokeh.server.session import ServerSession
from bokeh.server.tornado import BokehTornado
from bokeh.server.util import bind_sockets
from bokeh.util.token import generate_jwt_token, generate_secret_key
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.ioloop import IOLoop

from ...core.session import SessionError
from ...core.threads import after_this_cell
from .config import ServerConfig
from .discards import Discards, ViewsTornado
from .quiet_logs import QuietDepartedBrowsers
from .routing import Router
from .teardown import end_connections
from .thread import ServerThread
from .view_ids import signed_id
from .views import View, ViewOwner, ViewTable
from .websocket import refuse_forged_tokens

log = logging.getLogger(__name__)

APP_PATH = "/session"


class EmbeddedServer(ServerThread):
    """A Bokeh server on a daemon thread of its own, serving minted views.

    Thread contract: ``start``/``stop``/``mint``/``close_views``/``call`` may be
    called from any thread; everything that touches Bokeh documents or server
    sessions runs on the server thread (``call`` runs it there and waits, with a
    timeout).
    """

    label = "the Bokeh server"

    def __init__(self, config: ServerConfig | None = None) -> None:
        super().__init__("jupyter-sessions-bokeh")
        self.config = cfg = config or ServerConfig()
        self._secret = generate_secret_key()
        self.views = ViewTable()
        self._lock = threading.Lock()
        self._server: BaseServer | None = None
        self._tornado_app: BokehTornado | None = None
        self._http: HTTPServer | None = None
        self._page_origins: set[str] = set()
        # BokehJS's files and those of the extensions known when they were listed.
        self._static_paths: tuple[int, list[str]] = (-1, [])
        self._port = 0
        self._quiet: QuietDepartedBrowsers | None = None
        self._discards = Discards(
            self._spawn, cfg.view_linger_ms, cfg.collect_delay_s, cfg.collect_after_views
        )

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{self.config.address}:{self._port}"

    @property
    def app_url(self) -> str:
        """URL of the application that serves every view."""
        return self.url + APP_PATH

    @property
    def secret(self) -> bytes:
        """The per-kernel secret that signs view ids (for trusted clients and tests)."""
        return self._secret.encode()

    def start(self, timeout: float = 10.0) -> None:
        """Start the server thread if it is not running; raise if it cannot listen."""
        if self.running:
            return
        super().start(timeout)
        log.info("Embedded Bokeh server listening on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Close every view, stop listening and end the thread; safe to call again."""
        super().stop(timeout)
        self.views.clear()

    def static_paths(self) -> list[str]:
        """BokehJS's files and its extensions' (Panel's), relative to the server root.

        For pages behind a proxy and the kernel's channel: what autoload.js loads.
        """
        # 2 ms to make; it changes only when an extension (Panel) is imported, which
        # registers its models.
        models = len(HasProps.model_class_reverse_map)
        if self._static_paths[0] != models:
            bundle = bundle_for_objs_and_resources(None, self._tornado().resources(None))
            # Panel names one file relative ("static/extensions/..."): the page joins
            # each path to a server root, so every one starts at the root.
            paths = ["/" + str(js.url).lstrip("/") for js in bundle.js_files]
            self._static_paths = (models, paths)
        return list(self._static_paths[1])

    def allow_origin(self, origin: str) -> None:
        """Accept websockets from the page at ``origin`` (``scheme://host[:port]``).

        The JupyterLab extension tells its page's origin over a comm, which only an
        authenticated Jupyter frontend can open: that is what lets a remote page (a
        hub, a tunnel) reach views through jupyter-server-proxy. Never a wildcard.
        """
        parsed = urllib.parse.urlsplit(origin)
        if parsed.scheme not in ("http", "https") or not parsed.hostname or "*" in origin:
            raise ValueError(f"not a page origin: {origin!r}")
        # Bokeh compares an Origin that names no port as host:80, whatever the scheme.
        host = f"{parsed.hostname}:{parsed.port or 80}"
        with self._lock:
            self._page_origins.add(host)
        if self.running:
            self.call(self._tornado().websocket_origins.add, host)

    def mint(self, owner: ViewOwner) -> View:
        """A new view with a signed id, whose documents ``owner`` fills (any thread)."""
        view_id = signed_id(self.secret)
        view = View(view_id, self.token(view_id), owner)
        self.views.add(view)
        return view

    def close_views(
        self, views: Iterable[View], finished: Callable[[], object] | None = None
    ) -> None:
        """Close ``views`` (any thread): the one call a closing session makes.

        No page opens them again; their callbacks (the owner's and the app's own)
        stop at once; their documents go on the server thread once the closing
        cell has replied (at once from other threads: ``after_this_cell``), their
        pages' connections ended. ``finished`` runs on the server thread once
        Bokeh let go of the last of them and their owner heard it.
        """
        waiting = self.views.close(views, finished)
        if not waiting:
            if finished is not None:
                self.call_soon(finished)
            return
        # Now, not after the reply: an app's 50 ms callback would tick meanwhile.
        self.call_soon(_stop_callbacks, waiting)
        # Waiting for the documents to go was most of what a re-run cost.
        after_this_cell(self.call_soon, self._destroy, waiting)

    @property
    def tornado_app(self) -> BokehTornado:
        """Bokeh's tornado application (server thread only); SessionError if stopped."""
        return self._tornado()

    def token(self, view_id: str) -> str:
        """The signed websocket token of ``view_id``, for a page that connects to it."""
        return generate_jwt_token(
            ID(view_id),
            secret_key=self.secret,
            signed=True,
            expiration=self.config.token_expiration_s,
        )

    def open_view(self, view: View) -> concurrent.futures.Future[ServerSession]:
        """Start creating the server session of ``view`` now, as a browser would.

        Returns at once; the future is done on the server thread once Bokeh made the
        session (its owner filled the document), outside Bokeh's own session creation.
        """
        return asyncio.run_coroutine_threadsafe(self._open(view), self._aloop())

    def view_sessions(self) -> list[ServerSession]:
        """Live Bokeh server sessions (one per open view). Server thread only."""
        return self._tornado().get_sessions(APP_PATH)

    # -- server thread ---------------------------------------------------------

    async def _open(self, view: View) -> ServerSession:
        app = self._tornado().applications[APP_PATH]
        # An empty request where a browser's would be: apps read its arguments,
        # cookies and headers (Panel does, for every document), and a page that
        # attaches later does not bring its own to a session made already.
        request = HTTPServerRequest(
            start_line=RequestStartLine("GET", APP_PATH, "HTTP/1.1"),
            headers=HTTPHeaders({"Host": urllib.parse.urlsplit(self.url).netloc}),
        )
        session = await app.create_session_if_needed(ID(view.id), request, view.token)
        if view.closed:  # closed while it was made: nobody will see it
            self._destroy([view])
        return session

    def _destroy(self, views: list[View]) -> None:
        """End the pages' connections of ``views`` and discard their documents, a few ms
        from now (a cleanup once tornado saw the connections close)."""
        _stop_callbacks(views)  # a document filled since close_views stopped them
        ids = {view.id for view in views}
        doomed = [s for s in self.view_sessions() if s.id in ids]
        if doomed:
            end_connections(doomed)
            self._discards.closed(doomed)

    async def _serve(self) -> None:
        cfg = self.config
        sockets, self._port = bind_sockets(cfg.address, cfg.port)
        tornado_app = ViewsTornado(
            {APP_PATH: Router(self.views, self._discards).application()},
            discards=self._discards,
            absolute_url=self.url,
            extra_websocket_origins=[*cfg.origins, *self._page_origins],
            secret_key=self.secret,
            sign_sessions=True,
            generate_session_ids=False,
            unused_session_lifetime_milliseconds=cfg.view_linger_ms,
            session_token_expiration=cfg.token_expiration_s,
            use_index=False,
            redirect_root=False,
        )
        refuse_forged_tokens(tornado_app)
        http = HTTPServer(tornado_app, xheaders=False)
        http.add_sockets(sockets)
        self._tornado_app, self._http = tornado_app, http
        self._server = BaseServer(IOLoop.current(), tornado_app, http)
        self._server.start()
        self._discards.attach(tornado_app)
        self._quiet = QuietDepartedBrowsers()  # Bokeh's routine warnings stay out of cells
        self._quiet.install()

    async def _shutdown(self) -> None:
        server, http = self._server, self._http
        if server is not None and http is not None:
            sessions = self.view_sessions()
            if sessions:
                end_connections(sessions)
                self._discards.closed(sessions)
                await self._drain(timeout=2.0)  # views' destroyed hooks run
            server.stop(wait=False)
            await http.close_all_connections()
        self._server = self._tornado_app = self._http = None
        self._discards.stop()  # nothing of ours outlives this loop
        asyncio.get_running_loop().stop()

    def _served(self) -> None:
        if self._quiet is not None:
            self._quiet.uninstall()
        log.info("Embedded Bokeh server stopped")

    def _tornado(self) -> BokehTornado:
        if self._tornado_app is None:
            raise SessionError("the Bokeh server is not running")
        return self._tornado_app


def _stop_callbacks(views: list[View]) -> None:
    for view in views:
        view.stop_callbacks()
