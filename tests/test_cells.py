"""The cell owns its sessions: behaviour through a real kernel, driven as JupyterLab does."""

from __future__ import annotations

import socket

import psutil

from jupyter_sessions import MIME_TYPE

from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

OPEN = "s = open_session(Ticker())\nprint(s.id)"


def opened(nb: NotebookKernel, cell: str | None) -> str:
    reply = nb.run(OPEN, cell_id=cell)
    assert reply.status == "ok", reply.traceback
    return reply.stdout.strip()


def test_rerun_leaves_exactly_one_session_and_stops_the_old_one(nb: NotebookKernel) -> None:
    first = opened(nb, "cell-a")
    wait_for(lambda: nb.value(f"ticks({first!r})") >= 2)
    ids = [first] + [opened(nb, "cell-a") for _ in range(3)]

    assert len(set(ids)) == 4
    assert nb.value("live()") == [ids[-1]]
    assert nb.value("[s['cell'] for s in sessions()]") == ["cell-a"]
    stopped = nb.value(f"ticks({first!r})")
    # The live one ticks on (3 ticks: 0.75 s at its period); the stopped one never again.
    wait_for(lambda: nb.value(f"ticks({ids[-1]!r})") >= 3)
    assert nb.value(f"ticks({first!r})") == stopped
    wait_for(lambda: nb.value("view_sessions()") == 1)


def test_running_another_cell_does_not_close(nb: NotebookKernel) -> None:
    sid = opened(nb, "cell-a")
    assert nb.run("x = 1", cell_id="cell-b").status == "ok"
    assert nb.value("live()") == [sid]


def test_deleted_cells_close_at_the_next_run(nb: NotebookKernel) -> None:
    a = opened(nb, "cell-a")
    b = opened(nb, "cell-b")
    assert nb.value("live()") == [a, b]
    assert nb.run("x = 1", cell_id="cell-c", deleted=["cell-a"]).status == "ok"
    assert nb.value("live()") == [b]
    before, b_before = nb.value(f"[ticks({a!r}), ticks({b!r})]")
    wait_for(lambda: nb.value(f"ticks({b!r})") >= b_before + 3)  # the live one ticks on
    assert nb.value(f"ticks({a!r})") == before


def test_session_without_cell_id_lives_until_closed(nb: NotebookKernel) -> None:
    sid = opened(nb, None)
    nb.run("x = 1", cell_id="cell-b")
    assert nb.value("live()") == [sid]
    assert nb.value("sessions()[0]['cell']") is None
    text = nb.run(
        "from jupyter_sessions.core import diagnostics as _d\n"
        "print(repr(_d.Report(_d.summaries(), sessions())))"
    )
    assert "lives until closed" in text.stdout
    assert "http://127.0.0.1:" in text.stdout


def test_every_close_path_closes_once(nb: NotebookKernel) -> None:
    opened(nb, "cell-a")
    reply = nb.run(
        "s.close(); s.close(); close_session(s); print(s.state.value, live())", cell_id="cell-b"
    )
    assert reply.stdout.split()[0] == "TERMINATED"
    opened(nb, "cell-c")
    opened(nb, "cell-d")
    assert nb.value("close_all()") == 2
    assert nb.value("close_all()") == 0
    assert nb.value("live()") == []
    wait_for(lambda: nb.value("view_sessions()") == 0)


def test_output_carries_the_mime_type_and_a_loopback_html_fallback(nb: NotebookKernel) -> None:
    reply = nb.run(OPEN, cell_id="cell-a")
    bundle = reply.displays[0]["data"]
    data = bundle[MIME_TYPE]
    assert data["session_id"] == reply.stdout.strip()
    assert data["kind"] == "bokeh" and data["state"] == "RUNNING"
    assert data["view"]["url"].startswith("http://127.0.0.1:")
    assert "autoload.js" in bundle["text/html"]
    assert data["view"]["view_id"] in bundle["text/html"]
    assert reply.displays[0]["transient"]["display_id"]


def test_closing_replaces_the_output_with_a_closed_note(nb: NotebookKernel) -> None:
    first = nb.run(OPEN, cell_id="cell-a")
    display_id = first.displays[0]["transient"]["display_id"]
    update = nb.display_update(display_id, ok(nb.run("s.close()", cell_id="cell-b")))
    assert update["data"][MIME_TYPE]["state"] == "TERMINATED"
    assert "closed" in update["data"]["text/html"]


def test_close_button_closes_the_session(nb: NotebookKernel) -> None:
    reply = nb.run(OPEN, cell_id="cell-a")
    assert len(reply.session_widgets) == 1
    session_id = reply.displays[0]["data"][MIME_TYPE]["session_id"]
    clicked = nb.collect(nb.press_close(reply.session_widgets[0], session_id), shell_reply=False)
    display_id = reply.displays[0]["transient"]["display_id"]
    assert nb.display_update(display_id, clicked)["data"][MIME_TYPE]["state"] == "TERMINATED"
    assert nb.value("live()") == []
    wait_for(lambda: nb.value("view_sessions()") == 0)


def test_hooks_install_once_however_loaded(nb: NotebookKernel) -> None:
    nb.run("import jupyter_sessions, importlib", cell_id="c1")
    nb.run("%load_ext jupyter_sessions", cell_id="c2")
    nb.run("%reload_ext jupyter_sessions", cell_id="c3")
    count = nb.value(
        "sum(getattr(h, '__module__', '') == 'jupyter_sessions.core.cells' "
        "for h in get_ipython().events.callbacks['pre_run_cell'])"
    )
    assert count == 1


def test_the_cell_that_imports_owns_what_it_opens() -> None:
    kernel = NotebookKernel()
    try:
        code = (
            "from jupyter_sessions import BokehSession, open_session, sessions\n"
            "s = open_session(BokehSession())\nprint(sessions()[0]['cell'])"
        )
        reply = kernel.run(code, cell_id="first-cell")
        assert reply.stdout.strip() == "first-cell", reply.traceback
        assert kernel.run("x = 1", cell_id="first-cell").status == "ok"
        assert kernel.value("__import__('jupyter_sessions').sessions()") == []
    finally:
        kernel.close()


def test_kernel_shutdown_closes_sessions_and_frees_the_port(nb: NotebookKernel, tmp_path) -> None:
    log = tmp_path / "events.log"
    opened(nb, "cell-a")
    nb.run(
        f"_registry().subscribe(lambda e: open({str(log)!r}, 'a')"
        ".write(f'{e.kind} {e.state.value}\\n'))"
    )
    port = nb.value("running_server()._port")
    process = psutil.Process(nb.pid)

    nb.shutdown()

    assert not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    events = log.read_text().split("\n")
    assert "removed TERMINATED" in events
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_shutdown_leaves_no_thread_or_port_inside_a_live_kernel(nb: NotebookKernel) -> None:
    opened(nb, "cell-a")
    port = nb.value("running_server()._port")
    threads_before = nb.value("[t.name for t in __import__('threading').enumerate()]")
    assert "jupyter-sessions-bokeh" in threads_before
    nb.run("_runtime.shutdown()")
    threads = nb.value("[t.name for t in __import__('threading').enumerate()]")
    assert "jupyter-sessions-bokeh" not in threads
    assert len(threads) == len(threads_before) - 1
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    # The next session starts a fresh server.
    opened(nb, "cell-b")
    wait_for(lambda: nb.value("view_sessions()") == 1)  # made once the cell replied


def test_closed_sessions_leave_no_widgets_or_comms_behind(nb: NotebookKernel) -> None:
    count = (
        "len(__import__('ipywidgets').widgets.widget._instances), "
        "len(__import__('comm').get_comm_manager().comms)"
    )
    opened(nb, "cell-a")
    before = nb.value(f"[{count}]")
    for _ in range(5):
        opened(nb, "cell-a")
    # A retired output's widget (and its comm) closes after its cell's reply.
    wait_for(lambda: nb.value(f"[{count}]") == before)
