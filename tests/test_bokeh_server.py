"""The embedded Bokeh server, seen from the browser's side with a real websocket client."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from typing import Any

import psutil
import pytest
import websocket
from bokeh.document import Document
from bokeh.plotting import figure
from bokeh.util.token import (
    check_session_id_signature,
    generate_jwt_token,
    generate_secret_key,
    generate_session_id,
)

from jupyter_sessions.bokeh.server import EmbeddedServer, View
from jupyter_sessions.bokeh.server.config import ServerConfig
from jupyter_sessions.bokeh.server.teardown import ViewDocument
from jupyter_sessions.bokeh.server.view_ids import signed_id

from .support.bokeh_client import ViewClient, autoload_url, fetch_token, http_status
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

OPEN = "s = open_session(Ticker())\nprint(s.id)"


@pytest.fixture
def view(nb: NotebookKernel) -> dict[str, str]:
    """A Ticker opened in cell-a; its app URL and the view id of its output."""
    reply = nb.run(OPEN, cell_id="cell-a")
    assert reply.status == "ok", reply.traceback
    return dict(nb.value("view_of(s)"))


def connect(view: dict[str, str], **kwargs: str) -> ViewClient:
    token = fetch_token(view["app_url"], view["view_id"])
    client = ViewClient.connect(view["app_url"], token, **kwargs)
    client.pull()
    return client


def test_periodic_callbacks_reach_a_real_client(view: dict[str, str]) -> None:
    client = connect(view)
    try:
        assert client.patches_arrive(3)
    finally:
        client.close()


def test_updates_keep_their_rate_while_another_cell_sleeps(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    client = connect(view)
    try:
        client.count_patches(0.5)
        msg_id = nb.send_execute("time.sleep(2)", {"cellId": "cell-b", "deletedCells": []})
        started = time.monotonic()
        received = client.count_patches(2.0)
        busy = nb.collect(msg_id, timeout=30)
        assert busy.status == "ok"
        assert time.monotonic() - started >= 2.0
        # Nominal is 8 updates in 2 s at 0.25 s; Bokeh's show(app) delivers 0 here.
        # Half of them, so a busy machine's late ones do not fail it.
        assert received >= 4, received
    finally:
        client.close()


def test_server_listens_on_loopback_only(nb: NotebookKernel, view: dict[str, str]) -> None:
    port = int(view["app_url"].rsplit(":", 1)[1].split("/")[0])
    listening = [
        c
        for c in psutil.Process(nb.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    ]
    assert listening and all(c.laddr.ip == "127.0.0.1" for c in listening)


def test_unsigned_and_forged_view_ids_are_refused(view: dict[str, str]) -> None:
    app_url = view["app_url"]
    unsigned = generate_session_id(signed=False)
    forged = generate_session_id(secret_key=generate_secret_key().encode(), signed=True)
    tampered = view["view_id"][:-3] + ("AAA" if not view["view_id"].endswith("AAA") else "BBB")
    for view_id in (None, unsigned, forged, tampered):
        assert http_status(autoload_url(app_url, view_id)) == 403, view_id
    assert http_status(autoload_url(app_url, view["view_id"])) == 200


def test_forged_websocket_tokens_are_refused(view: dict[str, str]) -> None:
    forged_key = generate_secret_key().encode()
    forged = generate_jwt_token(
        generate_session_id(secret_key=forged_key, signed=True),
        secret_key=forged_key,
        signed=True,
    )
    unsigned = generate_jwt_token(view["view_id"], signed=False)
    for token in (forged, unsigned):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ViewClient.connect(view["app_url"], token).close()
        assert refused.value.status_code == 403


def test_foreign_origins_are_refused(view: dict[str, str]) -> None:
    token = fetch_token(view["app_url"], view["view_id"])
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ViewClient.connect(view["app_url"], token, origin="http://evil.example.com")
    assert refused.value.status_code == 403
    ViewClient.connect(view["app_url"], token, origin="http://127.0.0.1:8888").close()


VSCODE_WEBVIEW = "vscode-webview://1n6b3d0cg3q3dk7fo8a7ogf2p6o1vvqu8kj7fq0fnmeqj2ub3uv8"


def test_vscode_webview_origins_are_accepted(view: dict[str, str]) -> None:
    """VS Code's notebook webviews: Bokeh alone would refuse ``<id>:80`` (bokeh#10765)."""
    client = connect(view, origin=VSCODE_WEBVIEW)
    try:
        assert client.pull().msgtype == "PULL-DOC-REPLY"
    finally:
        client.close()


@pytest.mark.parametrize(
    "origin",
    [
        "https://vscode-webview.evil.example",
        "http://1n6b3d0cg3q3dk7fo8a7ogf2p6o1vvqu8kj7fq0fnmeqj2ub3uv8",
        "vscode-webview://",
        "https://vscode-webview://1n6b3d0cg3q3dk7fo8a7ogf2p6o1vvqu8kj7fq0fnmeqj2ub3uv8",
    ],
    ids=["lookalike-host", "webview-id-over-http", "no-webview-id", "scheme-in-path"],
)
def test_only_the_vscode_webview_scheme_is_accepted(view: dict[str, str], origin: str) -> None:
    token = fetch_token(view["app_url"], view["view_id"])
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        ViewClient.connect(view["app_url"], token, origin=origin).close()
    assert refused.value.status_code == 403


def test_close_disconnects_the_browser_and_destroys_its_views(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    client = connect(view)
    try:
        assert nb.value("view_sessions()") == 1
        nb.run("s.close()", cell_id="cell-b")
        assert client.closed_by_server(15.0)
        wait_for(lambda: nb.value("view_sessions()") == 0, timeout=15)
    finally:
        client.close()


def test_a_closed_sessions_old_output_does_not_revive_it(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    nb.run("s.close()", cell_id="cell-b")
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=15)
    client = connect(view)  # a page reload of the old output
    try:
        doc = client.pull()
        assert "This session is closed" in str(doc.content)
        assert client.count_patches(0.75) == 0
        assert nb.value("live()") == []
    finally:
        client.close()


def test_views_of_departed_browsers_go_within_seconds_and_come_back(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    connect(view).close()
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=15)
    assert nb.value("[x['state'] for x in sessions()]") == ["RUNNING"]
    client = connect(view)  # the page is reloaded: the same output is live again
    try:
        assert nb.value("view_sessions()") == 1
        assert client.patches_arrive(2)
    finally:
        client.close()


STATIC = """
class Static(BokehSession):
    def setup_model(self):
        plot = figure(height=200, width=400)
        plot.line([1, 2, 3], [3, 1, 2])
        return plot
"""
# What the embedded server's loop has due within 10 s. One-shot work a change set off
# (a view's discard, the garbage collection after it) passes; Bokeh's keep-alive ping
# (every 37 s, for proxies that drop a silent websocket) is due so soon a quarter of
# the time; a job of a shorter period always is.
DUE_SOON = """[repr(h) for h in running_server()._loop._scheduled
 if not h.cancelled() and h.when() - running_server()._loop.time() < 10]"""


def test_an_idle_kernel_has_no_timer_due_open_with_a_page_or_not_and_closed(
    nb: NotebookKernel,
) -> None:
    """Bokeh's unused-view check ran every 50 ms for the server's whole life (1.8 % of
    a core in a kernel doing nothing); now it runs only after a view lost its page."""
    ok(nb.run(STATIC))
    ok(nb.run("s = open_session(Static())", cell_id="cell-a"))
    # The kernel's first view, which no page took, goes after its linger.
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=10)
    wait_for(lambda: nb.value(DUE_SOON) == [], timeout=40, interval=0.5)
    client = connect(dict(nb.value("view_of(s)")))
    try:
        # A page on the view, nothing changing.
        wait_for(lambda: nb.value(DUE_SOON) == [], timeout=40, interval=0.5)
    finally:
        client.close()
    ok(nb.run("close_all()", cell_id="cell-b"))
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=10)
    wait_for(lambda: nb.value(DUE_SOON) == [], timeout=40, interval=0.5)


COUNTED = """
BUILT = []
class Counted(BokehSession):
    def setup_model(self):
        BUILT.append(self.id)
        return figure(height=100, width=100)
"""


def test_a_session_rerun_before_anyone_could_see_it_never_builds_a_view(nb: NotebookKernel) -> None:
    """No page is connected (papermill, a loop): a re-run that comes within 0.25 s
    closes the old session before its first view was due, and nothing is built for it."""
    ok(nb.run(COUNTED))
    # A wait longer than any round trip of a loaded machine (it is 0.25 s).
    ok(
        nb.run(
            "__import__('jupyter_sessions.bokeh.first_view').bokeh.first_view"
            ".UNWATCHED_FIRST_VIEW_S = 2.0"
        )
    )
    ok(nb.run("s = open_session(Counted())\nFIRST = s.id", cell_id="cell-a"))
    ok(nb.run("s = open_session(Counted())", cell_id="cell-a"))  # as a client re-runs
    # The re-run's view is built, so both were due by now (in the order they opened).
    wait_for(lambda: nb.value("BUILT") == [nb.value("s.id")], timeout=20)
    assert nb.value("FIRST") != nb.value("s.id")


# Counts the calls a close makes to the server.
COUNT_CLOSES = """
CLOSES = []
_close_views = running_server().close_views
def _counted(*args):
    CLOSES.append(len(args[0]))
    return _close_views(*args)
running_server().close_views = _counted
"""


def test_each_view_has_its_own_models_and_all_close_together(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    """Each view's callbacks run on a face of the session of their own; a close is one
    call to the server, and leaves nothing in its table of views."""
    second = {"app_url": view["app_url"], "view_id": nb.value("s._add_view().id")}
    first_client, second_client = connect(view), connect(second)
    try:
        assert nb.value("s.views") == 2
        assert nb.value("len(set(s.update(lambda v: id(v.source))))") == 2
        faces = "s.update(lambda v: [type(v) is Ticker, v.id == s.id, v.doc is not s.doc])"
        assert nb.value(faces) == [[True, True, True]] * 2
        assert nb.value("'source' in vars(s)") is False  # the session holds no view's models
        assert first_client.patches_arrive(2)
        assert second_client.patches_arrive(2)
        ok(nb.run(COUNT_CLOSES))
        assert nb.value("len(running_server().views)") == 2
        nb.run("s.close()", cell_id="cell-b")
        assert first_client.closed_by_server(15.0)
        assert second_client.closed_by_server(15.0)
        wait_for(lambda: nb.value("view_sessions()") == 0, timeout=15)
        wait_for(lambda: nb.value("len(running_server().views)") == 0, timeout=15)
        assert nb.value("CLOSES") == [2]  # both views, in one call
    finally:
        first_client.close()
        second_client.close()


def test_update_changes_every_view_from_a_notebook_cell(
    nb: NotebookKernel, view: dict[str, str]
) -> None:
    reply = nb.run(
        "s.update_callback_period(None)\n"
        "s.update(lambda v, value: v.source.data.update(y=[value] * 10), 7.0)\n"
        "print(s.update(lambda v: None))",
        cell_id="cell-b",
    )
    assert reply.status == "ok", reply.traceback
    client = connect(view)
    try:
        assert nb.value("s.update(lambda v: list(v.source.data['y']))") == [[7.0] * 10]
        failing = nb.run("s.update(lambda v: 1 / 0)", cell_id="cell-c")
        assert failing.error and failing.error["ename"] == "ZeroDivisionError"
    finally:
        client.close()


def test_callback_period_changes_while_live(nb: NotebookKernel, view: dict[str, str]) -> None:
    client = connect(view)
    try:
        nb.run("s.update_callback_period(None)", cell_id="cell-b")
        client.count_patches(1.0)  # what was on its way before the change
        assert client.count_patches(1.0) == 0
        nb.run("s.update_callback_period(0.01)", cell_id="cell-b")
        assert nb.value("s.callback_period") == 0.25  # the floor
        assert client.patches_arrive(2)
        for bad in ("0", "-1", "float('nan')", "float('inf')", "'fast'", "True"):
            reply = nb.run(f"s.update_callback_period({bad})", cell_id="cell-b")
            assert reply.error and reply.error["ename"] == "ValueError", bad
    finally:
        client.close()


@pytest.mark.parametrize(
    ("delay", "views"), [(0.2, 10), (3600.0, 1)], ids=["after-a-delay", "after-enough-views"]
)
def test_a_closed_view_goes_at_once_and_its_memory_soon_after(delay: float, views: int) -> None:
    """Not after the unused views' linger (an hour here), and its cycles are
    collected by the server's one deferred gc.collect (automatic gc is off). The
    server's table of views is empty once the close is finished."""
    server = EmbeddedServer(
        ServerConfig(view_linger_ms=3_600_000, collect_delay_s=delay, collect_after_views=views)
    )
    # Told by a weakref's callback: a probe calling the weakref would hold the plot
    # for a moment, and the one collection could run just then.
    collected = threading.Event()
    plots: list[weakref.ref[Any]] = []
    heard: list[str] = []

    class Owner:
        def _view_created(self, view: View, context: Any) -> None:
            heard.append("created")

        def _fill_view(self, view: View, doc: Document) -> None:
            plot = figure()
            plot.line([1, 2, 3], [3, 1, 2])
            doc.add_root(plot)
            plots.append(weakref.ref(plot, lambda _: collected.set()))

        def _view_destroyed(self, view: View, context: Any) -> None:
            heard.append("destroyed")

    def live() -> int:
        return server.call(lambda: len(server.view_sessions()))

    server.start()
    gc.disable()
    try:
        shown, unopened = server.mint(Owner()), server.mint(Owner())
        server.open_view(shown).result(10)
        assert live() == 1 and len(server.views) == 2
        server.close_views([shown, unopened], lambda: heard.append("finished"))
        assert server.views.get(unopened.id) is None  # with no document, it left at once
        wait_for(lambda: live() == 0, timeout=1.0, interval=0.01)
        wait_for(lambda: "finished" in heard, timeout=1.0, interval=0.01)
        assert heard == ["created", "destroyed", "finished"]
        assert len(server.views) == 0 and shown.doc is None
        assert collected.wait(3.0), "the closed view's plot was not collected"
    finally:
        gc.enable()
        server.stop()


def test_view_documents_are_torn_down_as_bokeh_does_without_a_full_collection() -> None:
    def tear_down(kind: type[Document]) -> tuple[list[set[str]], int]:
        doc = Document()
        doc.add_root(figure())
        doc.__class__ = kind
        receiver = object()
        doc.callbacks.on_change_dispatch_to(receiver)
        full: list[dict[str, Any]] = []

        def count(phase: str, info: dict[str, Any]) -> None:
            if phase == "start" and info["generation"] == 2:
                full.append(info)

        gc.callbacks.append(count)
        gc.disable()  # count only the collections destroy() asks for
        try:
            doc.destroy(receiver)
        finally:
            gc.enable()
            gc.callbacks.remove(count)
        return [set(vars(x)) for x in (doc, doc.callbacks, doc.models, doc.modules)], len(full)

    bokeh_state, bokeh_collections = tear_down(Document)
    ours_state, ours_collections = tear_down(ViewDocument)
    assert ours_state == bokeh_state  # what Bokeh's destroy releases, ours does too
    assert (bokeh_collections, ours_collections) == (1, 0)


def test_view_ids_are_signed_as_bokeh_checks_them() -> None:
    """``signed_id`` replaces Bokeh's ``generate_session_id`` (one urandom call, not 45)."""
    secret = generate_secret_key().encode()
    ids = {signed_id(secret) for _ in range(200)}
    assert len(ids) == 200
    for view_id in ids:
        base, _, _ = view_id.partition(".")
        assert len(base) == 44 and base.isalnum() and base.isascii()
        assert check_session_id_signature(view_id, secret_key=secret, signed=True)
        assert not check_session_id_signature(view_id, secret_key=b"another key", signed=True)
    assert check_session_id_signature(
        generate_session_id(secret_key=secret, signed=True), secret_key=secret, signed=True
    )


BUSY = """
class Busy(Ticker):
    def periodic_callback(self):
        sum(range(300_000))
        super().periodic_callback()
s = open_session(Busy())
"""


def test_a_bokeh_session_s_row_shows_the_cpu_its_callbacks_took(nb: NotebookKernel) -> None:
    """What the panel shows as its cost: CPU time in its callbacks, all views."""
    ok(nb.run(BUSY, cell_id="cell-a"))
    wait_for(lambda: nb.value("ticks(s.id)") >= 3, timeout=30)
    assert nb.value("sessions()[0]['cpu_s']") > 0
