"""Apps written for ``bokeh serve`` and ``show(app)``, unchanged, opened as sessions.

A real kernel runs Bokeh's own example apps (``tests/apps/bokeh``, copied byte for
byte) with ``open_session`` where ``show`` or ``bokeh serve`` stood. A page's side
is played by a real websocket client (the direct route) or by a comm speaking
Bokeh's protocol on a subshell (the kernel's channel, as JupyterLab >= 4.4 sends
it): it moves a slider as BokehJS does (a PATCH-DOC of the slider's ``value``), and
the app's own Python callback must answer with the changed plot, idle and while
another cell is busy.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from .support.bokeh_comm import CommView
from .support.bokeh_documents import (
    answered,
    comm_patches,
    connect,
    model_id,
    moved,
    websocket_patches,
)
from .support.kernels import KERNEL_SETUP, busy_cell, kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

APPS = Path(__file__).parent / "apps" / "bokeh"
SLIDERS = APPS / "sliders.py"
OHLC = APPS / "ohlc"


def opened(nb: NotebookKernel, app: str, cell: str = "cell-a") -> None:
    ok(nb.run(f"s = open_session({app})", cell_id=cell))
    assert nb.value("s.state.value") == "RUNNING"


# -- the tests -------------------------------------------------------------------


def test_a_script_app_answers_its_sliders_on_the_direct_route_idle_and_busy(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    opened(nb, repr(str(SLIDERS)))
    client, doc = connect(nb)
    try:
        assert doc["title"] == "Sliders"  # curdoc().title, set by the script
        offset = model_id(doc, "Slider", title="offset")
        source = model_id(doc, "ColumnDataSource")
        client.send("PATCH-DOC", moved(offset, 2.0))
        assert answered(websocket_patches(client, 20.0), source, "data")
        busy = busy_cell(nb, tmp_path / "done")
        client.send("PATCH-DOC", moved(offset, -1.0))
        assert answered(websocket_patches(client, 20.0), source, "data")
        (tmp_path / "done").touch()
        ok(nb.collect(busy))
        # The script's own update_data ran: the curve sits at the offset the page set.
        mean = "float(s.update(lambda v: v.doc.select_one({'type': __import__("
        mean += "'bokeh.models', fromlist=['x']).ColumnDataSource}).data['y'].mean())[0])"
        assert nb.value(mean) == pytest.approx(-1.0, abs=0.05)
    finally:
        client.close()


def test_a_script_app_answers_its_sliders_over_the_kernels_channel_while_busy(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    opened(nb, repr(str(SLIDERS)))
    view = CommView(nb, subshell_id=nb.create_subshell()).open(
        nb.value("running_server().token(s.view_id)")
    )
    view.first("ACK")
    view.send("PULL-DOC-REQ", {})
    doc = view.first("PULL-DOC-REPLY").content["doc"]
    offset = model_id(doc, "Slider", title="offset")
    source = model_id(doc, "ColumnDataSource")
    view.send("PATCH-DOC", moved(offset, 1.5))
    assert answered(comm_patches(view, 20.0), source, "data")
    busy = busy_cell(nb, tmp_path / "done")
    view.send("PATCH-DOC", moved(offset, 0.5))
    assert answered(comm_patches(view, 20.0), source, "data")
    (tmp_path / "done").touch()
    ok(nb.collect(busy))


def test_a_directory_app_runs_its_own_50_ms_callback_while_busy_and_stops_at_close(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    opened(nb, repr(str(OHLC)))
    client, doc = connect(nb)
    try:
        assert doc["title"] == "OHLC"
        # The directory's theme.yaml applied to the view's document.
        assert nb.value(
            "s.update(lambda v: v.doc.theme._json['attrs']['Plot']['background_fill_color'])"
        ) == ["#eeeeee"]
        busy = busy_cell(nb, tmp_path / "done")
        # 50 ms is 20 patches a second; 10 within 5 s holds on a loaded machine.
        ticks = 0
        for _ in websocket_patches(client, 5.0):
            ticks += 1
            if ticks == 10:
                break
        assert ticks == 10
        (tmp_path / "done").touch()
        ok(nb.collect(busy))
        ok(nb.run("s.close()", cell_id="cell-b"))
        assert client.closed_by_server(10.0)
        wait_for(lambda: nb.value("view_sessions()") == 0)
    finally:
        client.close()


def test_a_function_app_from_a_notebook_runs_unchanged_with_open_session(
    nb: NotebookKernel,
) -> None:
    """Bokeh's notebook_embed.ipynb, cell by cell, with ``open_session`` for ``show``."""
    notebook = nbformat.read(APPS / "notebook_embed.ipynb", as_version=4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
    assert cells[-1].startswith("show(bkapp)")
    cells[-1] = cells[-1].replace("show(bkapp)", "s = open_session(bkapp)", 1)
    for n, source in enumerate(cells):
        ok(nb.run(source, cell_id=f"embed-{n}"))
    assert nb.value("s.state.value") == "RUNNING"
    client, doc = connect(nb)
    try:
        slider = model_id(doc, "Slider", title="Smoothing by N Days")
        source = model_id(doc, "ColumnDataSource")
        client.send("PATCH-DOC", moved(slider, 7))
        assert answered(websocket_patches(client, 20.0), source, "data")
    finally:
        client.close()
    # The theme the app function set, read back from the view's document.
    assert nb.value(
        "s.update(lambda v: v.doc.theme._json['attrs']['Grid']['grid_line_color'])"
    ) == ["white"]


HOOKS_MAIN = """
import sys
from bokeh.io import curdoc
from bokeh.models import Div

LOG = sys.argv[1]

doc = curdoc()
doc.add_root(Div(text="hooks"))
doc.title = "hooks " + " ".join(sys.argv[2:])

# Bokeh clears a script's module before its document's on_session_destroyed callbacks
# run (bokeh serve too), so this one uses nothing of the script's globals: the log's
# path is a default argument.
def destroyed(session_context, log=LOG):
    with open(log, "a") as f:
        f.write("doc-destroyed\\n")

doc.on_session_destroyed(destroyed)
"""

HOOKS_LIFECYCLE = """
import sys

LOG = sys.argv[1]  # argv is bokeh serve's while the module runs, not when its hooks do

def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\\n")

def on_server_loaded(server_context):
    log("server-loaded")

def on_server_unloaded(server_context):
    log("server-unloaded")

def on_session_created(session_context):
    log("session-created " + session_context.id)

def on_session_destroyed(session_context):
    log("session-destroyed " + session_context.id)
"""


def hooks_app(tmp_path: Path) -> tuple[Path, Path]:
    """A directory app (ours: Bokeh's examples with hooks need the internet)."""
    app = tmp_path / "hooks"
    app.mkdir()
    (app / "main.py").write_text(HOOKS_MAIN)
    (app / "server_lifecycle.py").write_text(HOOKS_LIFECYCLE)
    return app, tmp_path / "hooks.log"


def events(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def ended(log: Path) -> bool:
    """Whether every view the log saw made was destroyed, and the server unloaded."""
    lines = log.read_text().splitlines() if log.exists() else []
    made = sorted(x.split()[1] for x in lines if x.startswith("session-created"))
    return (
        made == sorted(x.split()[1] for x in lines if x.startswith("session-destroyed"))
        and len(made) == sum(x.startswith("doc-destroyed") for x in lines)
        and lines[-1:] == ["server-unloaded"]
    )


def test_a_directory_apps_lifecycle_hooks_run_exactly_once_each(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    app, log = hooks_app(tmp_path)
    opened(nb, f"{str(app)!r}, argv=[{str(log)!r}, 'first']")
    client, doc = connect(nb)
    client.close()
    assert doc["title"] == "hooks first"  # argv reached the script
    assert events(log)[:2] == ["server-loaded", "session-created"]
    again = f"s = open_session({str(app)!r}, argv=[{str(log)!r}, 'again'])"
    ok(nb.run(again, cell_id="cell-a"))  # a re-run
    wait_for(lambda: events(log).count("session-created") == 2)
    ok(nb.run("close_all()", cell_id="cell-b"))
    wait_for(lambda: ended(log))
    lines = log.read_text().splitlines()
    assert lines.count("server-loaded") == 2 and lines.count("server-unloaded") == 2
    assert len({x for x in lines if x.startswith("session-destroyed")}) == 2


def test_a_directory_apps_views_hear_that_they_went_when_the_kernel_shuts_down(
    tmp_path: Path,
) -> None:
    app, log = hooks_app(tmp_path)
    with kernel_with(KERNEL_SETUP) as kernel:
        opened(kernel, f"{str(app)!r}, argv=[{str(log)!r}]")
        wait_for(lambda: "session-created" in events(log))
        kernel.shutdown()
    assert ended(log), log.read_text()


def test_curdoc_is_the_views_document_in_setup_model_and_callbacks(nb: NotebookKernel) -> None:
    code = """
from bokeh.io import curdoc
SEEN = []
class Curdoc(BokehSession):
    callback_period = 0.05
    def setup_model(self):
        SEEN.append(("setup", curdoc() is self.doc))
        curdoc().title = "from curdoc"
        curdoc().add_next_tick_callback(lambda: SEEN.append(("tick", curdoc() is self.doc)))
        return None
    def periodic_callback(self):
        SEEN.append(("periodic", curdoc() is self.doc))
s = open_session(Curdoc())
"""
    ok(nb.run(code, cell_id="cell-a"))
    wait_for(lambda: {k for k, _ in nb.value("SEEN")} == {"setup", "tick", "periodic"})
    assert all(same for _, same in nb.value("SEEN"))
    assert nb.value("s.update(lambda v: v.doc.title)") == ["from curdoc"]
    assert nb.value("curdoc().title") != "from curdoc"  # the notebook's own is untouched


def test_an_apps_callbacks_stop_when_its_cell_is_rerun(nb: NotebookKernel) -> None:
    ok(nb.run("COUNTS = {}"))
    code = """
def counting(name):
    def app(doc):
        def tick():
            COUNTS[name] = COUNTS.get(name, 0) + 1
        doc.add_periodic_callback(tick, 20)
    return app
s = open_session(counting(%r))
"""
    ok(nb.run(code % "first", cell_id="cell-a"))
    wait_for(lambda: nb.value("COUNTS.get('first', 0)") >= 3)
    ok(nb.run(code % "second", cell_id="cell-a"))
    stopped = nb.value("COUNTS['first']")
    # The new app ticks 10 times (200 ms at its period); the old one no more than once
    # (a tick under way as the cell's re-run began).
    wait_for(lambda: nb.value("COUNTS.get('second', 0)") >= 10)
    assert nb.value("COUNTS['first']") <= stopped + 1
    assert len(nb.value("live()")) == 1


@pytest.mark.parametrize(
    ("app", "error", "says"),
    [
        ("'no/such/app.py'", "FileNotFoundError", "no/such/app.py"),
        ("lambda a, b: None", "TypeError", "of 2 arguments"),
        # Neither app(doc) nor a function of no arguments, without Panel imported.
        ("print", "TypeError", "'print' (a builtin: its arguments cannot be read)"),
        ("lambda *args: None", "TypeError", "(of any number of arguments)"),
        ("lambda *, doc: None", "TypeError", "(it needs a keyword-only argument)"),
        # Text and data: no app's path, and Panel would show them only as text or JSON.
        ("'Hello, world'", "TypeError", "wrap it in pn.panel(...)"),
        ("{'a': 1}", "TypeError", "wrap it in pn.panel(...)"),
        ("42", "TypeError", "bokeh.application.Application"),
        ("object()", "TypeError", "pn.panel()"),
        ("Ticker", "TypeError", "open_session(Ticker())"),
        ("Ticker(), argv=['x']", "TypeError", "argv= is for an app's path"),
        ("lambda doc: None, argv=['x']", "TypeError", "argv= is for an app's path"),
        (f"{str(SLIDERS)!r}, argv='x'", "TypeError", "list of strings"),
    ],
)
def test_what_is_not_an_app_is_a_clear_error_and_opens_nothing(
    nb: NotebookKernel, app: str, error: str, says: str
) -> None:
    reply = nb.run(f"open_session({app})", cell_id="cell-a")
    assert reply.error is not None and reply.error["ename"] == error, reply.traceback
    assert says in reply.error["evalue"]
    assert nb.value("live()") == []
    assert nb.value("view_sessions()") == 0


@pytest.mark.parametrize("kind", ["script", "function"])
def test_an_app_that_raises_fails_its_session_with_the_traceback_in_the_output(
    nb: NotebookKernel, tmp_path: Path, kind: str
) -> None:
    script = tmp_path / "broken_app.py"
    script.write_text(
        "from bokeh.io import curdoc\n\ndef build():\n"
        "    raise KeyError('no such column')\n\n"
        "curdoc().add_periodic_callback(lambda: None, 50)\nbuild()\n"
    )
    code = {
        "script": f"s = open_session({str(script)!r})",
        "function": "def broken(doc):\n    doc.add_periodic_callback(lambda: None, 50)\n"
        "    raise KeyError('no such column')\ns = open_session(broken)",
    }[kind]
    reply = ok(nb.run(code, cell_id="cell-a"))
    (display_id,) = [d["transient"]["display_id"] for d in reply.displays]
    update = nb.display_update(display_id, timeout=20)
    note = json.dumps(update["data"])
    assert "KeyError" in note and "no such column" in note and "raised" in note
    assert "build" in note if kind == "script" else "broken" in note
    assert nb.value("s.state.value") == "FAILED"
    wait_for(lambda: nb.value("view_sessions()") == 0)
