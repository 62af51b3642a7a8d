"""Bad input gets a clear error and loses nothing: every error path, in a real kernel."""

from __future__ import annotations

import pytest

from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

MIME = "application/vnd.jupyter-sessions.session.v1+json"


# Paths, functions and classes are the apps' errors (tests/test_apps.py).
@pytest.mark.parametrize("thing", ["42", "None", "object()"])
def test_open_session_of_a_non_session_is_a_type_error(nb: NotebookKernel, thing: str) -> None:
    reply = nb.run(f"open_session({thing})", cell_id="cell-a")
    assert reply.error and reply.error["ename"] == "TypeError"
    assert "takes a Session" in reply.error["evalue"]
    assert nb.value("live()") == []


@pytest.mark.parametrize("period", ["0", "-0.5", "float('nan')", "float('inf')", "'1s'", "[1]"])
def test_bad_callback_period_is_a_value_error(nb: NotebookKernel, period: str) -> None:
    code = f"class Bad(Ticker):\n    callback_period = {period}\nopen_session(Bad())"
    reply = nb.run(code, cell_id="cell-a")
    assert reply.error and reply.error["ename"] == "ValueError", reply.traceback
    assert "callback_period" in reply.error["evalue"]
    assert nb.value("[s['state'] for s in sessions()]") == ["FAILED"]
    assert nb.value("view_sessions()") == 0


def test_a_session_opens_once(nb: NotebookKernel) -> None:
    reply = nb.run("t = Ticker(); open_session(t); open_session(t)", cell_id="cell-a")
    assert reply.error and reply.error["ename"] == "ValueError"
    assert "open a new instance" in reply.error["evalue"]
    assert len(nb.value("live()")) == 1


def test_setup_model_raising_shows_in_the_output_and_leaves_nothing_running(
    nb: NotebookKernel,
) -> None:
    """The first view is made off the cell, so its error reaches the output, not the reply."""
    code = (
        "class Broken(Ticker):\n"
        "    def setup_model(self):\n"
        "        raise KeyError('no such column')\n"
        "b = open_session(Broken())"
    )
    reply = ok(nb.run(code, cell_id="cell-a"))
    shown = [d["data"] for d in reply.displays + reply.updates]
    if not any("no such column" in d["text/html"] for d in shown):  # it failed after the cell
        # The first such update, not every message of the next 10 s.
        shown += [
            next(
                m["content"]["data"]
                for m in nb.iopub(10)
                if m["msg_type"] == "update_display_data"
                and "no such column" in m["content"]["data"]["text/html"]
            )
        ]
    note = next(d for d in shown if "no such column" in d["text/html"])
    for text in ("KeyError", "setup_model", "Traceback", "run the cell again"):
        assert text in note["text/html"], text
    assert note[MIME]["view"] is None and note[MIME]["state"] == "FAILED"
    rows = nb.value("sessions()")
    assert [r["state"] for r in rows] == ["FAILED"]
    assert "no such column" in rows[0]["error"]
    wait_for(lambda: nb.value("view_sessions()") == 0, timeout=3)
    assert nb.value("ticks(b.id)") == 0
    used = nb.run("b.update(lambda v: None)", cell_id="cell-b")
    assert used.error and used.error["ename"] == "SessionError"
    assert "no such column" in used.error["evalue"]
    # Re-running the cell clears the failed one away and opens a good one.
    ok(nb.run("open_session(Ticker())", cell_id="cell-a"))
    wait_for(lambda: nb.value("[s['state'] for s in sessions()]") == ["RUNNING"], timeout=5)


def test_raising_periodic_callback_is_reported_and_harms_no_one(nb: NotebookKernel) -> None:
    code = (
        "class Flaky(Ticker):\n"
        "    def periodic_callback(self):\n"
        "        TICKS.append(self.id)\n"
        "        raise RuntimeError('sensor offline')\n"
        "f = open_session(Flaky())"
    )
    assert nb.run(code, cell_id="cell-a").status == "ok"
    good = nb.run("g = open_session(Ticker())\nprint(g.id)", cell_id="cell-b").stdout.strip()
    wait_for(lambda: nb.value("f._callback_errors") >= 3)
    flaky = nb.value("[s for s in sessions() if s['id'] == f.id][0]")
    assert flaky["state"] == "RUNNING"
    assert "sensor offline" in flaky["error"]
    assert flaky["callback_errors"] >= 3
    before = nb.value(f"ticks({good!r})")
    wait_for(lambda: nb.value(f"ticks({good!r})") > before)
    info = nb.run("print_info()", cell_id="cell-c")
    html = info.displays[0]["data"]["text/html"]
    assert "sensor offline" in html and "<table>" in html
    # Logged, with the traceback, not printed into some cell.
    ok(
        nb.run(
            "import logging, io\n"
            "buf = io.StringIO(); h = logging.StreamHandler(buf)\n"
            "logging.getLogger('jupyter_sessions').addHandler(h)\n"
            "f2 = open_session(Flaky())",
            cell_id="cell-d",
        )
    )
    wait_for(lambda: nb.value("f2._callback_errors") >= 1)
    logged = nb.run(
        "print('sensor offline' in buf.getvalue(), 'Traceback' in buf.getvalue())", cell_id="cell-e"
    )
    assert logged.stdout.split() == ["True", "True"]


def test_update_on_a_closed_session_says_what_to_do(nb: NotebookKernel) -> None:
    nb.run("s = open_session(Ticker()); s.close()", cell_id="cell-a")
    reply = nb.run("s.update(lambda v: None)", cell_id="cell-b")
    assert reply.error and reply.error["ename"] == "SessionError"
    assert "open_session" in reply.error["evalue"]
