"""The embedded Bokeh server: one per kernel, on its own thread and IOLoop.

Why its own thread: Bokeh's ``show(app)`` runs the server on the kernel's own
loop, so periodic callbacks stop dead while any cell computes. Here the server
thread owns every Bokeh document; code on other threads reaches it through
:meth:`EmbeddedServer.call`, never by touching documents directly.

Security: it listens on 127.0.0.1 only; ``generate_session_ids=False`` with
signed ids means only the kernel (which holds the per-kernel secret) can mint a
view id, so the server refuses unsigned and forged ids, and websocket tokens with a
bad signature before the upgrade (``websocket.py``); websocket origins are an
explicit list (loopback pages by default, never ``*``), plus VS Code's
notebook webviews (``vscode-webview://``, see ``websocket.py``).

Each view id the kernel mints is routed to a view factory (a BokehSession). A
browser presenting a validly signed id whose route is gone (the session closed,
the page was reloaded later) gets a short "closed" document instead of a plot.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import logging
import os
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bokeh.application import Application
from bokeh.application.handlers.document_lifecycle import DocumentLifecycleHandler
from bokeh.application.handlers.function import FunctionHandler
from bokeh.core.has_props import HasProps
from bokeh.core.types import ID
from bokeh.document import Document
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.models.widgets.markups import Div
from bokeh.server.server import BaseServer
from bokeh.server.session import ServerSession
from bokeh.server.tornado import BokehTornado
from bokeh.server.util import bind_sockets
from bokeh.util.token import generate_jwt_token, generate_secret_key
from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.ioloop import IOLoop

from ..core.session import SessionError
from .departed import DepartedViews, ViewsTornado
from .quiet_logs import QuietDepartedBrowsers
from .teardown import ViewDocument, ViewHook, ViewLifecycle, ViewTeardown, awaited
from .websocket import refuse_forged_tokens

log = logging.getLogger(__name__)

T = TypeVar("T")
ViewFactory = Callable[[Document], None]

APP_PATH = "/session"
# Loopback pages only, any port: the notebook server's port is unknown to the kernel.
DEFAULT_ORIGINS = ("localhost:*", "127.0.0.1:*", "[::1]:*")
CLOSED_HTML = "<i>This session is closed. Run its cell again to open a new one.</i>"


def _env_origins() -> tuple[str, ...]:
    raw = os.environ.get("JUPYTER_SESSIONS_ALLOW_ORIGIN", "")
    extra = tuple(o.strip() for o in raw.split(",") if o.strip())
    if "*" in extra:
        raise ValueError("JUPYTER_SESSIONS_ALLOW_ORIGIN must name hosts; '*' is refused")
    return DEFAULT_ORIGINS + extra


@dataclass(frozen=True)
class ServerConfig:
    """How the embedded server listens; read from the environment by default.

    ``JUPYTER_SESSIONS_PORT`` (0: the OS picks) and ``JUPYTER_SESSIONS_ALLOW_ORIGIN``
    (comma-separated ``host:port`` patterns added to the loopback defaults).
    """

    address: str = "127.0.0.1"
    port: int = field(default_factory=lambda: int(os.environ.get("JUPYTER_SESSIONS_PORT", "0")))
    origins: tuple[str, ...] = field(default_factory=_env_origins)
    # Views whose browser went away are dropped after this long without a connection
    # (checked only then: departed.py). Closed sessions' views do not wait for it:
    # they are discarded as soon as their websockets are closed (destroy_views).
    view_linger_ms: int = 2000
    # One full gc.collect() for many discarded views, instead of Bokeh's one per
    # document inside the discard (see teardown.py): this long after the first of
    # them (it holds the GIL ~0.1 s; seconds later it rarely lands on the next close),
    # or at once after this many (so a burst of re-runs leaves little garbage).
    collect_delay_s: float = 5.0
    collect_after_views: int = 10
    # Bokeh hands a live view's creation token to every later page load of it, so the
    # token must outlive the view; the signed view id is what grants access anyway.
    token_expiration_s: int = 30 * 24 * 3600


class EmbeddedServer:
    """A Bokeh server on a daemon thread of its own, serving minted views.

    Thread contract: ``start``/``stop``/``mint``/``forget``/``call`` may be called
    from any thread; everything that touches Bokeh documents or server sessions
    runs on the server thread (``call`` runs it there and waits, with a timeout).
    """

    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self._secret = generate_secret_key()
        # Minted view id -> (fill, destroyed, created); a forgotten id fills no document.
        self._routes: dict[str, tuple[ViewFactory, ViewHook, ViewHook | None]] = {}
        # The destroyed hook of every view whose document was filled, until Bokeh
        # discards it: a closed session's views still hear that they went.
        self._live_views: dict[str, ViewHook] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: BaseServer | None = None
        self._tornado_app: BokehTornado | None = None
        self._http: HTTPServer | None = None
        self._page_origins: set[str] = set()
        # BokehJS's files and those of the extensions known when they were listed.
        self._static_paths: tuple[int, list[str]] = (-1, [])
        self._tasks: set[asyncio.Task[None]] = set()  # strong references while they run
        self._port = 0
        self._teardown = ViewTeardown(self.config.collect_delay_s,
                                      self.config.collect_after_views)
        self._departed = DepartedViews(self.config.view_linger_ms)

    @property
    def running(self) -> bool:
        """True while the server thread serves."""
        return self._thread is not None and self._thread.is_alive()

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
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="jupyter-sessions-bokeh", daemon=True
        )
        self._thread.start()
        try:
            ready.result(timeout)
        except concurrent.futures.TimeoutError:
            raise SessionError(f"the Bokeh server did not start within {timeout} s") from None
        log.info("Embedded Bokeh server listening on %s", self.url)

    def stop(self, timeout: float = 5.0) -> None:
        """Close every view, stop listening and end the thread; safe to call again."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._shutdown()))
        thread.join(timeout)
        if thread.is_alive():
            log.warning("The Bokeh server thread did not end within %s s", timeout)
        with self._lock:
            self._routes.clear()
        self._live_views.clear()

    def static_paths(self) -> list[str]:
        """BokehJS's files and its extensions' (Panel's), relative to the server root.

        For pages behind a proxy and the kernel's channel: what autoload.js loads.
        """
        # 2 ms to make; it changes only when an extension (Panel) is imported, which
        # registers its models.
        models = len(HasProps.model_class_reverse_map)
        if self._static_paths[0] != models:
            bundle = bundle_for_objs_and_resources(None, self._tornado().resources(None))
            self._static_paths = (models, [str(js.url) for js in bundle.js_files])
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

    def mint(self, fill: ViewFactory, destroyed: ViewHook,
             created: ViewHook | None = None) -> str:
        """A new signed view id whose documents ``fill`` fills (server thread).

        ``created`` runs before each of its documents is filled and ``destroyed``
        once each is discarded, with Bokeh's session context (server thread; they
        may be coroutines). ``destroyed`` runs even after :meth:`forget`.
        """
        view_id = signed_id(self.secret)
        with self._lock:
            self._routes[view_id] = (fill, destroyed, created)
        return view_id

    def forget(self, view_id: str) -> None:
        """Route no new documents to ``view_id``'s factory."""
        with self._lock:
            self._routes.pop(view_id, None)

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 10.0) -> T:
        """Run ``fn(*args)`` on the server thread and return its result.

        Called on the server thread itself, runs it at once. Raises what ``fn``
        raised, or SessionError if the server did not answer within ``timeout``.
        """
        if threading.current_thread() is self._thread:
            return fn(*args)
        loop = self._loop
        if loop is None or not self.running:
            raise SessionError("the Bokeh server is not running")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise SessionError(f"the Bokeh server did not answer within {timeout} s") from None

    def call_soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` on the server thread soon, without waiting (any thread).

        Dropped on a stopped server (what ``fn`` would act on went with it); an
        exception is logged.
        """
        loop = self._loop
        try:
            if loop is None or not self.running:
                raise RuntimeError("stopped")
            loop.call_soon_threadsafe(_call_logged, fn, *args)
        except RuntimeError:  # stopped, or its loop closed meanwhile
            log.debug("Bokeh server stopped: %r dropped", fn)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` on the server thread soon (any thread); it logs its own errors.

        On a stopped server it is dropped unstarted: what it would serve (a view's
        connection, a page's message) went with the server.
        """
        loop = self._loop
        try:
            if loop is None or not self.running:
                raise RuntimeError("stopped")
            loop.call_soon_threadsafe(self._spawn, coroutine)
        except RuntimeError:  # stopped, or its loop closed meanwhile
            coroutine.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def tornado_app(self) -> BokehTornado:
        """Bokeh's tornado application (server thread only); SessionError if stopped."""
        return self._tornado()

    def token(self, view_id: str) -> str:
        """The signed websocket token of ``view_id``, for a page that connects to it."""
        return generate_jwt_token(ID(view_id), secret_key=self.secret, signed=True,
                                  expiration=self.config.token_expiration_s)

    def open_view(self, view_id: str) -> concurrent.futures.Future[ServerSession]:
        """Start creating the server session for ``view_id`` now, as a browser would.

        Returns at once; the future is done on the server thread once Bokeh made the
        session (``setup_model`` ran), outside Bokeh's own session creation.
        """
        app = self._tornado().applications[APP_PATH]
        # An empty request where a browser's would be: apps read its arguments,
        # cookies and headers (Panel does, for every document), and a page that
        # attaches later does not bring its own to a session made already.
        request = HTTPServerRequest(
            start_line=RequestStartLine("GET", APP_PATH, "HTTP/1.1"),
            headers=HTTPHeaders({"Host": urllib.parse.urlsplit(self.url).netloc}),
        )
        return asyncio.run_coroutine_threadsafe(
            app.create_session_if_needed(ID(view_id), request, self.token(view_id)),
            self._aloop(),
        )

    def view_sessions(self) -> list[ServerSession]:
        """Live Bokeh server sessions (one per open view). Server thread only."""
        return self._tornado().get_sessions(APP_PATH)

    def destroy_views(self, view_ids: set[str]) -> None:
        """Disconnect the browsers of ``view_ids`` and discard their sessions. Server thread.

        At once, not at Bokeh's next cleanup tick; see ``bokeh_teardown``. Returns
        before the documents are destroyed (a few ms later).
        """
        doomed = [s for s in self.view_sessions() if s.id in view_ids]
        if doomed:
            self._teardown.destroy(self._tornado(), doomed)

    # -- server thread ---------------------------------------------------------

    def _run(self, ready: concurrent.futures.Future[None]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:
            ready.set_exception(exc)
            loop.close()
            return
        self._loop = loop
        quiet = QuietDepartedBrowsers()  # Bokeh's routine warnings stay out of cells
        quiet.install()
        ready.set_result(None)
        try:
            loop.run_forever()
        finally:
            quiet.uninstall()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None
            log.info("Embedded Bokeh server stopped")

    async def _listen(self) -> None:
        cfg = self.config
        sockets, self._port = bind_sockets(cfg.address, cfg.port)
        # The document's own on_session_destroyed callbacks (Bokeh's handler, which
        # BokehTornado would append last) run before the view's owner hears it went.
        app = Application(FunctionHandler(self._fill_document), DocumentLifecycleHandler(),
                          ViewLifecycle(self._created, self._destroyed))
        tornado_app = ViewsTornado(
            {APP_PATH: app},
            departed=self._departed,
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
        self._departed.attach(tornado_app)

    async def _shutdown(self) -> None:
        server, http = self._server, self._http
        if server is not None and http is not None:
            self.destroy_views({s.id for s in self.view_sessions()})
            await self._teardown.drain(timeout=2.0)  # views' destroyed hooks run
            server.stop(wait=False)
            await http.close_all_connections()
        self._server = self._tornado_app = self._http = None
        self._teardown.stop()  # nothing of ours outlives this loop
        self._departed.stop()
        asyncio.get_running_loop().stop()

    def _tornado(self) -> BokehTornado:
        if self._tornado_app is None:
            raise SessionError("the Bokeh server is not running")
        return self._tornado_app

    def _aloop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise SessionError("the Bokeh server is not running")
        return self._loop

    def _fill_document(self, doc: Document) -> None:
        """Bokeh's app handler (server thread): route the document to its session."""
        # A dropped connection to this loopback server means the session closed or the
        # kernel went: a BokehJS reconnect (from an output the user re-ran or cleared)
        # would only open a new server session for a dead view, and nag in the page.
        doc.config.reconnect_session = False
        doc.config.notify_connection_status = False
        # Only our own documents: other Bokeh servers in the kernel keep Bokeh's destroy.
        doc.__class__ = ViewDocument
        context = doc.session_context
        with self._lock:
            route = self._routes.get(context.id) if context is not None else None
        if route is None or context is None:
            doc.add_root(Div(text=CLOSED_HTML))
            return
        self._live_views[context.id] = route[1]
        route[0](doc)

    def _created(self, context: Any) -> Awaitable[None] | None:
        self._departed.expect()  # no page may ever connect to it
        with self._lock:
            route = self._routes.get(context.id)
        created = route[2] if route is not None else None
        return created(context) if created is not None else None

    async def _destroyed(self, context: Any) -> None:
        self._teardown.view_destroyed()
        destroyed = self._live_views.pop(context.id, None)
        if destroyed is not None:
            await awaited(destroyed(context))


def _call_logged(fn: Callable[..., object], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        log.warning("%r failed on the Bokeh server thread", fn, exc_info=True)


ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def signed_id(secret: bytes) -> ID:
    """A random view id signed with ``secret``, as Bokeh's ``generate_session_id`` makes.

    Bokeh draws each of the 44 characters with its own ``os.urandom`` call; on a
    virtual machine those 45 system calls cost about a third of an open. Here one
    call gives the same 44 characters of [a-zA-Z0-9] (262 bits, 320 drawn). The
    signature is Bokeh's: HMAC-SHA256 of the id, base64url without padding, after
    a dot (``check_session_id_signature`` verifies it; tests pin that).
    """
    number = int.from_bytes(os.urandom(40), "big")
    chars = []
    for _ in range(44):
        number, digit = divmod(number, len(ID_CHARS))
        chars.append(ID_CHARS[digit])
    base = "".join(chars)
    digest = hmac.new(secret, base.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return ID(f"{base}.{signature}")
