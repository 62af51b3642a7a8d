"""Panel apps, unchanged, opened as sessions: Panel's own examples in a real kernel.

Panel renders into Bokeh documents, so the page's side is the same as for Bokeh
apps (``test_apps.py``): a websocket or a comm moves a slider as BokehJS does, and
Panel's Python (a ``pn.bind``, a ``@param.depends`` method) must answer with the
changed view, idle and while another cell is busy.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .support.bokeh_comm import CommView, bokehjs_over_comm
from .support.bokeh_documents import (
    answered,
    comm_patches,
    connect,
    model_id,
    models,
    moved,
    websocket_patches,
)
from .support.kernels import busy_cell
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_for

pytest.importorskip("panel")

PANEL_APPS = Path(__file__).parent / "apps" / "panel"
STAR_RATING = PANEL_APPS / "star_rating.py"

# The example's module, run as a module is (not as __main__: it would app.show()).
STAR_APP = (
    f"import runpy\n_star = runpy.run_path({str(STAR_RATING)!r}, "
    "run_name='star_rating')\ns = open_session(_star['app'])"
)


def stars_model(doc: dict[str, Any]) -> str:
    """The id of the pane that shows the stars (Panel's Markdown, as Bokeh HTML)."""
    (found,) = [
        m["id"]
        for m in models(doc)
        if m["name"] == "panel.models.markup.HTML" and "⭐⭐" in m["attributes"].get("text", "")
    ]
    return str(found)


def test_a_panel_bind_app_answers_its_slider_idle_and_while_busy(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    ok(nb.run(STAR_APP, cell_id="cell-a"))
    assert nb.value("type(s).__name__") == "PanelApp"
    client, doc = connect(nb)
    try:
        rating = model_id(doc, "Slider", title="Rating")
        stars = stars_model(doc)
        client.send("PATCH-DOC", moved(rating, 3))
        assert answered(websocket_patches(client, 20.0), stars, "text")
        busy = busy_cell(nb, tmp_path / "done")
        client.send("PATCH-DOC", moved(rating, 8))
        assert answered(websocket_patches(client, 20.0), stars, "text")
        (tmp_path / "done").touch()
        ok(nb.collect(busy))
    finally:
        client.close()
    assert nb.value("_star['slider'].value") == 8  # Panel's own widget heard the page


def test_a_panel_app_answers_over_the_kernels_channel_while_busy(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    ok(nb.run(STAR_APP, cell_id="cell-a"))
    view = CommView(nb, subshell_id=nb.create_subshell()).open(
        nb.value("running_server().token(s.view_id)")
    )
    view.first("ACK")
    view.send("PULL-DOC-REQ", {})
    doc = view.first("PULL-DOC-REPLY").content["doc"]
    rating, stars = model_id(doc, "Slider", title="Rating"), stars_model(doc)
    busy = busy_cell(nb, tmp_path / "done")
    view.send("PATCH-DOC", moved(rating, 2))
    assert answered(comm_patches(view, 20.0), stars, "text")
    (tmp_path / "done").touch()
    ok(nb.collect(busy))


def test_a_panel_serve_script_opens_by_its_path(nb: NotebookKernel) -> None:
    ok(nb.run(f"s = open_session({str(STAR_RATING)!r})", cell_id="cell-a"))
    client, doc = connect(nb)
    client.close()
    assert doc["title"] == "Star Rating App"  # app.servable(title=...), as panel serve
    model_id(doc, "Slider", title="Rating")


def test_a_pn_serve_function_makes_each_view_its_own_widgets(nb: NotebookKernel) -> None:
    code = (
        f"import sys\nsys.path.insert(0, {str(PANEL_APPS)!r})\n"
        "from sliders.pn_app import createApp\ns = open_session(createApp)"
    )
    ok(nb.run(code, cell_id="cell-a"))
    first, doc = connect(nb)
    try:
        offset = model_id(doc, "Slider", title="Offset")
        source = model_id(doc, "ColumnDataSource")
        first.send("PATCH-DOC", moved(offset, 2.0))
        assert answered(websocket_patches(first, 20.0), source, "data")
        # SineWave's @param.depends method redrew: the curve sits at the new offset.
        mean = (
            "s.update(lambda v: float(v.doc.select_one({'type': __import__("
            "'bokeh.models', fromlist=['x']).ColumnDataSource}).data['y'].mean()))"
        )
        assert nb.value(mean) == [pytest.approx(2.0, abs=0.05)]
        # A second view (a second page) calls createApp again: its own sliders.
        ok(
            nb.run(
                "_second = s._add_view()\n_made = s._server.open_view(_second)\n_made.result(20)"
            )
        )
        assert sorted(nb.value(mean)) == [
            pytest.approx(0.0, abs=0.05),
            pytest.approx(2.0, abs=0.05),
        ]
    finally:
        first.close()


PANEL_STATE = """
import panel as pn
TICKS, SAME, GONE = {}, [], []

def ticking(name):
    def app():
        doc = pn.state.curdoc
        def tick():
            TICKS[name] = TICKS.get(name, 0) + 1
            SAME.append(pn.state.curdoc is doc)
        pn.state.add_periodic_callback(tick, period=20)
        pn.state.on_session_destroyed(lambda ctx: GONE.append(name))
        return pn.pane.Markdown(name)
    return app
"""


def test_pn_state_callbacks_are_the_sessions_and_stop_when_its_cell_is_rerun(
    nb: NotebookKernel, tmp_path: Path
) -> None:
    ok(nb.run(PANEL_STATE))
    ok(nb.run("s = open_session(ticking('first'))", cell_id="cell-a"))
    busy = busy_cell(nb, tmp_path / "done")
    subshell = nb.create_subshell()
    # pn.state.add_periodic_callback ticks on the server thread while a cell computes.
    wait_for(lambda: nb.value_now("TICKS.get('first', 0)", subshell) >= 10, timeout=20)
    (tmp_path / "done").touch()
    ok(nb.collect(busy))
    ok(nb.run("s = open_session(ticking('second'))", cell_id="cell-a"))
    stopped = nb.value("TICKS['first']")
    wait_for(lambda: nb.value("TICKS.get('second', 0)") >= 10)
    assert nb.value("TICKS['first']") <= stopped + 1  # a tick under way as the re-run began
    assert nb.value("all(SAME)")  # pn.state.curdoc in a callback is the view's document
    wait_for(lambda: nb.value("GONE") == ["first"])  # Panel's own destroyed hook, once
    ok(nb.run("close_all()", cell_id="cell-b"))
    wait_for(lambda: nb.value("GONE") == ["first", "second"])
    wait_for(lambda: nb.value("view_sessions()") == 0)


# With Panel imported, what Panel would show only as text or JSON, and functions of
# neither shape, are errors too: before, Panel's guess opened them (a dict as JSON, a
# function of two arguments as an interact, print as a Bokeh app).
NOT_APPS = {
    "lambda a, b: None": "cannot run function '<lambda>' (of 2 arguments)",
    "print": "cannot run builtin_function_or_method 'print' (a builtin",
    "lambda *args: None": "cannot run function '<lambda>' (of any number of arguments)",
    "{'a': 1}": "cannot run dict",
    "[1, 2]": "cannot run list",
    "'Hello, world'": "cannot run str 'Hello, world'",
    "42": "cannot run int",
    "None": "cannot run NoneType",
}


def test_what_panel_shows_only_as_text_or_json_and_wrong_arities_are_type_errors(
    nb: NotebookKernel,
) -> None:
    ok(nb.run("import panel as pn"))
    for thing, says in NOT_APPS.items():
        reply = nb.run(f"open_session({thing})", cell_id="cell-a")
        assert reply.error is not None and reply.error["ename"] == "TypeError", (thing, reply)
        error = reply.error["evalue"]
        assert says in error, (thing, error)
        # The shapes it takes: app(doc), a Panel object, a function of no arguments.
        assert "a function app(doc) of one argument" in error, (thing, error)
        assert "a function of no arguments returning one" in error, (thing, error)
        assert "wrap it in pn.panel(...)" in error, (thing, error)
    assert nb.value("live()") == []
    # Wrapped, data opens as Panel shows it; the shapes it takes open as before.
    for app, kind in (
        ("pn.panel({'a': 1})", "PanelApp"),
        ("pn.panel('Hello, world')", "PanelApp"),
        ("lambda: pn.pane.JSON({'a': 1})", "PanelApp"),
        ("lambda doc: None", "BokehApp"),
    ):
        ok(nb.run(f"s = open_session({app})", cell_id="cell-b"))
        assert nb.value("[type(s).__name__, s.state.value]") == [kind, "RUNNING"], app


@pytest.mark.parametrize(
    ("returns", "says"),
    [
        ("None", ["nothing() returned NoneType", "return a Panel object"]),
        (
            "{'a': 1}",
            [
                "nothing() returned dict, which is not a Panel object",
                "wrap what it returns in pn.panel(...)",
            ],
        ),
    ],
    ids=["nothing", "data"],
)
def test_a_function_that_returns_what_panel_cannot_serve_fails_with_what_to_do(
    nb: NotebookKernel, returns: str, says: list[str]
) -> None:
    cell = f"import panel as pn\ndef nothing():\n    return {returns}\ns = open_session(nothing)"
    reply = ok(nb.run(cell, cell_id="cell-a"))
    (display_id,) = [d["transient"]["display_id"] for d in reply.displays]
    note = json.dumps(nb.display_update(display_id, timeout=20)["data"])
    assert all(words in note for words in says), note
    assert nb.value("s.state.value") == "FAILED"


def test_panels_files_reach_a_page_that_loaded_bokehjs_before_panel_was_imported(
    nb: NotebookKernel,
) -> None:
    """A page keeps the BokehJS it ran; a Panel view later asks only for Panel's files."""
    ok(nb.run("s = open_session(Ticker())", cell_id="cell-a"))
    assert not nb.value("'panel' in __import__('sys').modules")
    before = nb.value("running_server().static_paths()")
    ok(nb.run(STAR_APP, cell_id="cell-b"))
    after = nb.value("running_server().static_paths()")
    added = [path.split("?")[0] for path in after if path not in before]
    assert "/static/extensions/panel/panel.min.js" in added
    # Direct and through the Jupyter proxy, the page joins each path to the server root.
    root = nb.value("running_server().url")
    for path in after:
        with urllib.request.urlopen(root + path, timeout=20) as response:
            assert response.status == 200 and response.read(1), path
    # Over the kernel's channel: Panel's code, not BokehJS's again.
    ran = [path.split("?")[0].rsplit("/", 1)[-1] for path in before]
    sent = bokehjs_over_comm(nb, ran)
    assert "panel.min.js" in sent["names"] and "bokeh.min.js" not in sent["names"]
