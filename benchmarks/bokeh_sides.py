"""bench_bokeh's two sides, as the frontend sees them: a kernel, a cell, a renderer.

Each side is a real ipykernel driven as JupyterLab 4 drives it
(``tests/support/notebook_kernel.py``); its setup, run outside any cell, loads that side's
``kernel_side`` modules as ``bench`` (``records``) and ``side`` (``ours`` or
``anchor``). A harness-side websocket client (``tests/support/bokeh_client.py``) plays
the browser. Imported by ``bench_bokeh.py``, which puts the repository root on
``sys.path`` for ``tests``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from comparison import OURS
from kernel_side import import_code

from jupyter_sessions import MIME_TYPE
from tests.support.bokeh_client import DEFAULT_ORIGIN, ViewClient, fetch_token
from tests.support.notebook_kernel import NotebookKernel, Reply

ANCHOR = "bokeh show(app) + jupyter_bokeh cleanup"
BOKEH_EXEC_MIME = "application/vnd.bokehjs_exec.v0+json"
TIMEOUT = 30.0  # seconds, any single kernel request


@dataclass
class Shown:
    """One cell output showing a live app, as the frontend holds it."""

    key: str | None  # what the kernel's tick log calls the app
    app_url: str
    view_id: str | None = None  # jupyter-sessions: the signed view id in the output
    autoload: str | None = None  # Bokeh: the autoload.js URL in the output's script
    server_id: str | None = None  # Bokeh: jupyter_bokeh's handle for destroy_server


@dataclass
class Execution:
    """One cell run: what it showed, its execute_request id and its round trip."""

    shown: Shown
    msg_id: str
    seconds: float


class Side:
    """One project's notebook: the kernel, the cell that opens an app, the renderer."""

    name: ClassVar[str] = ""
    slug: ClassVar[str] = ""
    setup: ClassVar[str] = ""  # run once in the kernel, outside any cell
    cell: ClassVar[str] = ""  # the cell that opens an app

    def __init__(self, nb: NotebookKernel) -> None:
        self.nb = nb

    def value(self, expr: str) -> Any:
        return self.nb.value(expr, timeout=TIMEOUT)

    def execute(self, code: str, cell_id: str) -> tuple[Reply, str, float]:
        """Run ``code`` as cell ``cell_id`` as JupyterLab does; (reply, msg id, seconds)."""
        metadata = {"recordTiming": False, "cellId": cell_id, "deletedCells": []}
        start = time.perf_counter()
        msg_id = self.nb.send_execute(code, metadata)
        reply = self.nb.collect(msg_id, TIMEOUT)
        seconds = time.perf_counter() - start
        if reply.status != "ok":
            raise RuntimeError(f"cell {cell_id} failed:\n{reply.traceback}")
        return reply, msg_id, seconds

    def open(self, cell_id: str, keyed: bool = True) -> Execution:
        """Run the opening cell as ``cell_id``; ``keyed`` also learns the tick key."""
        reply, msg_id, seconds = self.execute(self.cell, cell_id)
        return Execution(self.shown(reply, keyed), msg_id, seconds)

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        raise NotImplementedError

    def dispose(self, shown: Shown) -> str | None:
        """What the frontend's renderer does when the output goes; the msg id it sent."""
        return None

    def close_untimed(self, shown: Shown) -> None:
        """Close the app between samples, outside any measurement."""
        raise NotImplementedError

    def ready(self, shown: Shown) -> None:
        """Wait until the app holds what it holds once opened (untimed)."""

    def browse(self, shown: Shown) -> ViewClient:
        """Connect a browser to the output and pull the document, as BokehJS does."""
        raise NotImplementedError

    def watch(self, shown: Shown) -> None:
        """Start timing when the output's Bokeh server sessions are destroyed."""
        raise NotImplementedError


class OursSide(Side):
    """jupyter-sessions: ``open_session(Ticker())``; the cell binding closes it on re-run."""

    name = OURS
    slug = "ours"
    setup = (
        import_code(bench="records", side="ours")
        + "bench.install()\nside.install()\n"
        + "from jupyter_sessions import close_all, open_session\nTicker = side.Ticker\n"
    )
    cell = "s = open_session(Ticker())"

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        for display in reply.displays:
            data = display["data"].get(MIME_TYPE)
            if data:
                view = data["view"]
                return Shown(data["session_id"], view["url"], view_id=view["view_id"])
        raise RuntimeError("the cell showed no session output")

    def close_untimed(self, shown: Shown) -> None:
        self.value("close_all()")

    def ready(self, shown: Shown) -> None:
        # The first view is made once the opening cell has replied.
        deadline = time.monotonic() + TIMEOUT
        while self.value("side.live_server_sessions()") < 1:
            if time.monotonic() > deadline:
                raise RuntimeError("the first view was not made")
            time.sleep(0.01)

    def browse(self, shown: Shown) -> ViewClient:
        token = fetch_token(shown.app_url, shown.view_id)
        client = ViewClient.connect(shown.app_url, token)
        client.pull()
        return client

    def watch(self, shown: Shown) -> None:
        self.value(f"side.watch({shown.key!r}, {shown.view_id!r})")


class BokehSide(Side):
    """Bokeh: ``show(app)`` after ``output_notebook()``, jupyter_bokeh's renderer cleanup."""

    name = ANCHOR
    slug = "bokeh"
    setup = (
        import_code(bench="records", side="anchor")
        + "bench.install()\nside.install()\n"
        + "from bokeh.io import show\nticking_app = side.ticking_app\n"
    )
    cell = "show(ticking_app())"
    dispose_code: ClassVar[str] = ""  # set from the installed jupyter_bokeh bundle

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        for display in reply.displays:
            server_id = (display.get("metadata") or {}).get(BOKEH_EXEC_MIME, {}).get("server_id")
            if server_id:
                html = display["data"]["text/html"]
                match = re.search(r'"(http://[^"]+/autoload\.js\?[^"]*)"', html)
                if match is None:
                    raise RuntimeError("show(app)'s output has no autoload.js URL")
                autoload = match.group(1)
                app_url = autoload.split("/autoload.js", 1)[0]
                key = self.value("side.last_app()") if keyed else None
                return Shown(key, app_url, autoload=autoload, server_id=server_id)
        raise RuntimeError("show(app) displayed no server output")

    def dispose(self, shown: Shown) -> str:
        # jupyter_bokeh: kernel.requestExecute({code}) with no metadata, not waited for.
        code = self.dispose_code.format(server_id=shown.server_id)
        return self.nb.send_execute(code, {})

    def close_untimed(self, shown: Shown) -> None:
        msg_id = self.dispose(shown)
        self.nb.collect(msg_id, TIMEOUT)

    def browse(self, shown: Shown) -> ViewClient:
        assert shown.autoload is not None
        with urllib.request.urlopen(shown.autoload, timeout=10) as response:
            js = response.read().decode()
        match = re.search(r'"token":"([^"]+)"', js)
        if match is None:
            raise RuntimeError("autoload.js carries no token")
        client = ViewClient.connect(shown.app_url, match.group(1), origin=DEFAULT_ORIGIN)
        client.pull()
        return client

    def watch(self, shown: Shown) -> None:
        self.value(f"side.watch({shown.key!r}, {shown.server_id!r})")


@contextlib.contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (appending), so a child started now inherits it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def notebook(kind: type[Side], log: Path) -> Iterator[Side]:
    """A fresh kernel with ``kind``'s setup run outside any cell; shut down afterwards.

    The kernel's stderr (tornado's and Bokeh's tracebacks) goes to ``log``.
    """
    with stderr_to(log):
        nb = NotebookKernel()
    try:
        reply = nb.run(kind.setup, timeout=TIMEOUT)
        if reply.status != "ok":
            raise RuntimeError(f"kernel setup failed:\n{reply.traceback}")
        yield kind(nb)
    finally:
        nb.close()
