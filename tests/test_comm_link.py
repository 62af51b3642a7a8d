"""Views over the kernel's own channel: the Bokeh protocol carried by a comm.

A real kernel, a real embedded Bokeh server, and a client speaking Bokeh's protocol
over comm messages exactly as the page's BokehJS does over the extension's comm.
"""

from __future__ import annotations

from .support.bokeh_comm import CommView, bokehjs_over_comm
from .support.kernels import wait_until_busy
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

OPEN = "s = open_session(Ticker())\nprint(s.id)"
TOKEN = "running_server().token(s.view_id)"
CONNECTIONS = (
    "sum(v.connection_count for v in running_server().call(running_server().view_sessions))"
)


def opened_view(nb: NotebookKernel, cell: str = "cell-a") -> CommView:
    ok(nb.run(OPEN, cell_id=cell))
    view = CommView(nb).open(nb.value(TOKEN))
    view.first("ACK")
    return view


def test_a_view_over_a_comm_gets_its_document_and_live_patches(nb: NotebookKernel) -> None:
    view = opened_view(nb)
    view.send("PULL-DOC-REQ", {})
    doc = view.first("PULL-DOC-REPLY").content["doc"]
    assert any(root["name"] == "Figure" for root in doc["roots"])
    patches = [m for m in view.receive(3.0) if m.msgtype == "PATCH-DOC"]
    assert len(patches) >= 3
    # numpy columns travel as Bokeh's binary buffers (base64 in the comm's JSON)
    assert any(m.buffers for m in patches)


def test_patches_keep_coming_while_another_cell_is_busy(nb: NotebookKernel) -> None:
    view = opened_view(nb)
    view.send("PULL-DOC-REQ", {})
    view.first("PULL-DOC-REPLY")
    busy = nb.send_execute("time.sleep(5)", {"cellId": "cell-busy"})
    wait_until_busy(nb, busy)
    # The cell sleeps 5 s from here; these 2.5 s fall inside it.
    patches = [m for m in view.receive(2.5) if m.msgtype == "PATCH-DOC"]
    assert len(patches) >= 4  # 0.25 s period: about 10 in 2.5 s
    ok(nb.collect(busy))


def test_closing_the_session_closes_its_view_comm(nb: NotebookKernel) -> None:
    view = opened_view(nb)
    nb.send_execute("s.close()", {"cellId": "cell-b"})
    assert view.closed_within(10.0)
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=10)


def test_a_page_that_closes_its_comm_leaves_no_connection(nb: NotebookKernel) -> None:
    view = opened_view(nb)
    view.send("PULL-DOC-REQ", {})
    view.first("PULL-DOC-REPLY")
    assert nb.value(CONNECTIONS) == 1
    view.close()
    wait_for(lambda: nb.value(CONNECTIONS) == 0, timeout=10)
    assert nb.value("s.state.value") == "RUNNING"  # a view went, not the session


def test_a_forged_or_unsigned_token_is_refused(nb: NotebookKernel) -> None:
    ok(nb.run(OPEN, cell_id="cell-a"))
    forged = nb.value(
        "__import__('bokeh.util.token', fromlist=['x']).generate_jwt_token("
        "s.view_id, secret_key=b'not-the-kernels-secret-key-0123456789', "
        "signed=True)"
    )
    for token in (forged, "garbage"):
        view = CommView(nb).open(token)
        assert view.closed_within(10.0)
        assert view.closed == {"error": "invalid session token"}
    assert nb.value(CONNECTIONS) == 0


def test_a_malformed_message_ends_that_view_only(nb: NotebookKernel) -> None:
    bad = opened_view(nb)
    good = CommView(nb).open(nb.value(TOKEN))
    good.first("ACK")
    bad.send_fragments(["{not json", "{}", "{}"])
    assert bad.closed_within(10.0)
    good.send("PULL-DOC-REQ", {})
    good.first("PULL-DOC-REPLY")
    assert any(m.msgtype == "PATCH-DOC" for m in good.receive(2.0))
    assert nb.value("s.state.value") == "RUNNING"


def test_bokehjs_reaches_the_page_over_the_kernel_channel(nb: NotebookKernel) -> None:
    ok(nb.run(OPEN, cell_id="cell-a"))
    sent = bokehjs_over_comm(nb, [])
    scripts = sent["scripts"]
    assert len(scripts) >= 4 and sent["names"][0] == "bokeh.min.js"
    assert "Bokeh" in scripts[0] and 1_000_000 < sum(map(len, scripts)) < 3_000_000
    # A page that ran them gets none of them again.
    again = bokehjs_over_comm(nb, [name for name in sent["names"] if name])
    assert not any(again["names"]) and sum(map(len, again["scripts"])) < 100
