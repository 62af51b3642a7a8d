"""Bokeh's warnings about departed browsers stay out of the cells, in a real kernel.

Bokeh warns "Failed sending message as connection was closed" when a browser goes
(or a session closes) while a patch is on its way, and its logger prints into
whichever cell is current. The browser here is a websocket client that stops
reading, so the server's writes back up and one is surely pending at the close.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .support.bokeh_client import ViewClient, fetch_token
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

WARNING = "Failed sending message as connection was closed"

# Big patches (1.6 MB each, four a second): a browser that stops reading is soon
# behind. The kernel's debug log of jupyter_sessions.bokeh.server.quiet_logs is kept in
# ROUTED.
SETUP = """
import logging
class BigTicker(Ticker):
    def setup_model(self):
        self.source = ColumnDataSource(data=dict(x=np.arange(200_000), y=np.random.rand(200_000)))
        plot = figure(height=200, width=400)
        plot.line("x", "y", source=self.source)
        return plot
    def periodic_callback(self):
        self.source.data.update(y=np.random.rand(200_000))

ROUTED = []
class _Keep(logging.Handler):
    def emit(self, record):
        ROUTED.append(record.getMessage())
_routed = logging.getLogger("jupyter_sessions.bokeh.server.quiet_logs")
_routed.setLevel(logging.DEBUG)
_routed.addHandler(_Keep())
"""


@contextmanager
def published_stderr(nb: NotebookKernel) -> Iterator[list[str]]:
    """Every stderr text the kernel publishes meanwhile, in whichever cell it lands."""
    texts: list[str] = []
    get = nb.client.get_iopub_msg

    def recording(*args: Any, **kwargs: Any) -> dict[str, Any]:
        msg: dict[str, Any] = get(*args, **kwargs)
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stderr":
            texts.append(msg["content"]["text"])
        return msg

    nb.client.get_iopub_msg = recording
    try:
        yield texts
    finally:
        nb.client.get_iopub_msg = get


def stalled_browser(nb: NotebookKernel) -> ViewClient:
    """A browser on ``s``'s view that asks for the document, then never reads."""
    view = nb.value("view_of(s)")
    client = ViewClient.connect(view["app_url"], fetch_token(view["app_url"], view["view_id"]))
    client.send("PULL-DOC-REQ", {})
    return client


def test_closing_while_a_browser_lags_prints_nothing_into_cells(nb: NotebookKernel) -> None:
    ok(nb.run(SETUP))
    with published_stderr(nb) as stderr:
        for _ in range(2):
            ok(nb.run("s = open_session(BigTicker())", cell_id="cell-a"))
            client = stalled_browser(nb)
            try:
                time.sleep(1.5)  # the server's writes back up
                ok(nb.run("s.close()", cell_id="cell-b"))
            finally:
                client.ws.sock.close()  # the browser goes too, without a word
            wait_for(lambda: nb.value("view_sessions()") == 0, timeout=5)
        ok(nb.run("time.sleep(0.5)", cell_id="cell-c"))
    assert not [text for text in stderr if WARNING in text], stderr
    # The warnings did happen (so this test can fail), and went to the debug log.
    assert any(WARNING in message for message in nb.value("ROUTED"))


def test_the_same_warning_from_elsewhere_still_shows(nb: NotebookKernel) -> None:
    ok(nb.run("s = open_session(Ticker())", cell_id="cell-a"))  # our server runs
    code = f"import logging; logging.getLogger('bokeh.server.views.ws').warning({WARNING!r})"
    reply = ok(nb.run(code, cell_id="cell-b"))  # not our server's thread: the user's
    assert WARNING in reply.stderr
