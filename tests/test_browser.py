"""A real JupyterLab in Debian's Chromium: what a user sees, and what the kernel counts.

Assertions are on the kernel's own facts (its open sessions and its count of live
Bokeh server sessions), read through a second client on the notebook's kernel, on
a subshell when the notebook's cell is busy. Every test runs with the labextension
and, where it applies without it, with the extension disabled (HTML fallback).
"""

from __future__ import annotations

import json
import urllib.request
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.notebook_kernel import NotebookKernel
from .support.notebook_page import NotebookPage
from .support.notebooks import OPEN, Notebook, counts, notebook_name, open_notebook, open_plot
from .support.processes import alive
from .support.waits import wait_equal, wait_for

pytestmark = needs_chromium

# Pages the kernel feeds its list of sessions to (their feed comms).
FEEDS = "__import__('jupyter_sessions.core.channel').core.channel.channel().open_feeds"


@pytest.fixture
def with_extension(lab: JupyterLab) -> None:
    if not lab.extension:
        pytest.skip("needs the labextension: the kernel alone cannot see this")


def one_new_feed(kernel: NotebookKernel, old: list[str]) -> list[str]:
    """The kernel's open feed comms once they are one, not among ``old``; else []."""
    now: list[str] = kernel.value(FEEDS)
    return now if len(now) == 1 and now[0] not in old else []


def test_a_live_plot_renders_and_updates(lab: JupyterLab, notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    first = wait_for(page.sources)
    # The periodic callback reaches the browser.
    wait_for(lambda: page.sources() != first, timeout=15)
    page.screenshot(f"live-plot-{'extension' if lab.extension else 'fallback'}")
    sockets = page.bokeh_websockets()
    assert sockets and all(url.startswith("ws://127.0.0.1:") for url in sockets)  # no proxy


def test_rerun_keeps_exactly_one_session(notebook: Notebook) -> None:
    page, kernel = notebook
    for _ in range(3):
        page.run_cell(1)
    page.wait_for_plot(1)
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)


def test_the_close_button_closes_the_session(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    page.output(1).get_by_role("button", name="Close").click()
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    page.output(1).get_by_text("closed (TERMINATED)").first.wait_for(timeout=30000)
    assert page.output(1).locator("canvas").count() == 0


# Records the type of every message the channel hears from the page, in SAID.
HEAR = """exec('''
_channel = __import__("jupyter_sessions.core.channel").core.channel.channel()
SAID = []
def _hearing(comm_id, page, data, _handle=_channel._handle):
    SAID.append(data.get("type"))
    _handle(comm_id, page, data)
_channel._handle = _hearing
''', globals()) or 0"""


@pytest.mark.usefixtures("with_extension")
@pytest.mark.parametrize(
    ("command", "said"),
    [("notebook:clear-cell-output", "cells_cleared"), ("notebook:delete-cell", "cells_deleted")],
)
def test_clearing_or_deleting_closes_its_sessions_in_one_message(
    notebook: Notebook, command: str, said: str
) -> None:
    """The views that went with the cell need no word of their own (departures.ts)."""
    page, kernel = notebook
    open_plot(page, kernel)
    kernel.value(HEAR)
    page.select_cell(1)
    page.command(command)
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30, interval=0.02)
    assert [kind for kind in kernel.value("SAID") if kind != "alive"] == [said]


@pytest.mark.usefixtures("with_extension")
def test_clearing_closes_even_while_another_cell_is_busy(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    subshell = kernel.create_subshell()
    page.set_cell_source(2, "time.sleep(20)")
    page.run_cell(2, wait=False)
    wait_for(lambda: page.cell_running(2), timeout=10)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_for(lambda: counts(kernel, subshell) == [0, 0], timeout=30, interval=0.05)
    assert page.cell_running(2)  # closed while the cell still computed


@pytest.mark.usefixtures("with_extension")
@pytest.mark.parametrize("frontend", ["lab", "notebook7"])
def test_the_close_button_closes_at_once_while_another_cell_is_busy(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest, frontend: str
) -> None:
    url = lab.notebook_url if frontend == "lab" else lab.notebook7_url
    with open_notebook(lab, browser, request, url) as (page, kernel):
        open_plot(page, kernel)
        subshell = kernel.create_subshell()
        page.set_cell_source(2, "time.sleep(20)")
        page.run_cell(2, wait=False)
        wait_for(lambda: page.cell_running(2), timeout=10)
        page.output(1).get_by_role("button", name="Close").click()
        # The button speaks on the commands comm, which a subshell handles at once.
        wait_for(lambda: counts(kernel, subshell) == [0, 0], timeout=15, interval=0.05)
        assert page.cell_running(2)  # closed while the cell still computed
        page.output(1).get_by_text("closed (TERMINATED)").first.wait_for(timeout=15000)
        page.command("notebook:interrupt-kernel")


OWN_CELL = """
import asyncio, subprocess, sys
from jupyter_sessions import own
async def poll():
    while True:
        await asyncio.sleep(0.05)
poller = own(asyncio.get_event_loop().create_task(poll()))
child = own(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]))
"""


@pytest.mark.usefixtures("with_extension")
def test_clearing_releases_what_its_cell_owns_while_another_cell_is_busy(
    notebook: Notebook,
) -> None:
    page, kernel = notebook
    page.set_cell_source(1, OWN_CELL)
    page.run_cell(1)
    owned = page.output(1).get_by_text("subprocess.Popen pid")
    owned.wait_for(timeout=30000)
    owned.scroll_into_view_if_needed(timeout=30000)
    page.screenshot("owned-lines-with-close-buttons")
    pid = kernel.value("child.pid")
    assert alive(pid)
    subshell = kernel.create_subshell()
    page.set_cell_source(2, "time.sleep(12)")  # longer than a loaded machine's close
    page.run_cell(2, wait=False)
    wait_for(lambda: page.cell_running(2), timeout=30)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_for(lambda: not alive(pid), timeout=30)  # SIGTERM from the comm thread
    # The poller's loop is the busy kernel's: cancelled, it ends once the cell does.
    rows = "[(r['type'], r['state']) for r in sessions()]"
    wait_for(
        lambda: kernel.value_now(rows, subshell) in ([], [["asyncio.Task", "TERMINATING"]]),
        timeout=30,
    )
    assert page.cell_running(2)  # released while the other cell still computed
    page.wait_idle()
    wait_for(lambda: kernel.value("(poller.cancelled(), sessions())") == [True, []], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_a_moved_cell_keeps_its_session_and_its_plot(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    assert page.plot_colors(1) > 10  # a blank plot shows one or two
    page.select_cell(1)
    page.command("notebook:move-cell-down")  # JupyterLab renders the cell anew
    page.wait_for_plot(2, timeout=30)
    assert page.plot_colors(2) > 10
    page.select_cell(2)
    page.command("notebook:move-cell-up")
    page.wait_for_plot(1, timeout=30)
    assert page.plot_colors(1) > 10
    page.screenshot("moved-cell")
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)  # still live
    assert counts(kernel) == [1, 1]


def test_without_the_extension_a_moved_cells_widget_keeps_its_session(
    lab: JupyterLab, notebook: Notebook
) -> None:
    """The page decides whether a removed session widget view went: a moved cell's view
    is removed and rendered anew, which is not a clear (widget.ts)."""
    if lab.extension:
        pytest.skip("the extension's own outputs: test_a_moved_cell_keeps_its_session...")
    page, kernel = notebook
    open_plot(page, kernel)
    page.select_cell(1)
    page.command("notebook:move-cell-down")  # JupyterLab renders the cell anew
    page.wait_for_plot(2, timeout=30)
    # Longer than the page's grace (REMOVED_GRACE_S): a negative needs the time to pass.
    kernel.value("__import__('time').sleep(1.5)")
    assert kernel.value("len(sessions())") == 1
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)  # still live
    page.select_cell(2)
    page.command("notebook:clear-cell-output")  # and a clear still closes
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_a_cut_and_pasted_cell_keeps_its_session_and_its_plot(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    cells = "() => window.jupyterapp.shell.currentWidget.content.widgets.length"
    before = page.page.evaluate(cells)
    page.select_cell(1)
    page.command("notebook:cut-cell")
    page.page.wait_for_function(f"() => ({cells})() === {before - 1}")
    page.select_cell(1)
    page.command("notebook:paste-cell-below")
    page.wait_for_plot(2, timeout=30)
    assert page.plot_colors(2) > 10
    assert counts(kernel) == [1, 1]


@pytest.mark.usefixtures("with_extension")
def test_after_a_kernel_restart_sessions_work_and_close_again(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    page.restart_kernel()
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    page.run_cell(0)
    open_plot(page, kernel)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_after_page_reloads_the_output_is_live_and_linked_again_and_nothing_is_left(
    notebook: Notebook,
) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    page.save()
    feeds = kernel.value(FEEDS)
    assert len(feeds) == 1
    for _ in range(3):
        page.reload()
        page.wait_for_plot(1)
        # The departed page closed its feed; the reloaded page opened its own.
        try:
            feeds = wait_for(partial(one_new_feed, kernel, feeds), timeout=30)
        except AssertionError:
            raise AssertionError(
                f"open feeds {kernel.value(FEEDS)} after the reload; before it {feeds}"
            ) from None
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)
    # The old pages' views are discarded within ~2.5 s.
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)
    assert kernel.value(FEEDS) == feeds
    page.select_cell(1)
    page.command("notebook:clear-cell-output")  # the reloaded page tells the kernel
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30, interval=0.02)


@pytest.mark.usefixtures("with_extension")
def test_closing_the_notebook_closes_its_sessions_and_its_feed(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    assert len(kernel.value(FEEDS)) == 1
    page.save()
    page.page.evaluate("() => window.jupyterapp.shell.currentWidget.close()")
    # The kernel keeps running (JupyterLab leaves it to the user); its sessions go.
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    wait_for(lambda: kernel.value(FEEDS) == [], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_the_side_panel_lists_finds_and_closes_sessions(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    page.open_panel("jupyter-sessions-panel")
    rows = page.page.locator("#jupyter-sessions-panel tr[data-session-id]")
    rows.first.wait_for(timeout=30000)
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "bokeh (Ticker)" in text and "RUNNING" in text
    assert "cell [2]" in page.page.locator("#jupyter-sessions-panel").inner_text()  # its group
    page.screenshot("side-panel")
    page.select_cell(2)
    rows.first.click()
    assert page.active_cell() == 1
    rows.first.get_by_role("button", name="Close").click()
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    page.page.get_by_text("No sessions in this notebook.").wait_for(timeout=30000)


def shown_on_the_right(lab: JupyterLab, workspace: str) -> str | None:
    """The right side panel JupyterLab saved as shown in ``workspace``, if any."""
    request = urllib.request.Request(
        f"{lab.url}/lab/api/workspaces/{workspace}", headers={"Authorization": f"token {lab.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        right = json.load(response)["data"].get("layout-restorer:data", {}).get("right", {})
    return None if right.get("collapsed", True) else right.get("current")


PALETTE = """() => window.jupyterapp.commands.listCommands()
    .filter(id => id.startsWith('jupyter-sessions:'))
    .map(id => [id, window.jupyterapp.commands.label(id)])"""
CLOSE_ALL_ENABLED = "() => window.jupyterapp.commands.isEnabled('jupyter-sessions:close-all')"
PANEL_SHOWN = "() => document.querySelector('#jupyter-sessions-panel')?.checkVisibility() ?? false"


@pytest.mark.usefixtures("with_extension")
def test_the_commands_close_a_cells_sessions_and_all_and_the_panel_comes_back_on_reload(
    lab: JupyterLab, notebook: Notebook, request: pytest.FixtureRequest
) -> None:
    page, kernel = notebook
    commands = dict(page.page.evaluate(PALETTE))
    assert commands == {
        "jupyter-sessions:close-all": "Close All Sessions of This Notebook",
        "jupyter-sessions:close-cell": "Close the Active Cell's Sessions",
        "jupyter-sessions:show-panel": "Show the Sessions Panel",
    }
    page.run_cell(1)
    page.set_cell_source(2, "t = open_session(Ticker())")
    page.run_cell(2)
    wait_equal(lambda: counts(kernel), [2, 2], timeout=30)
    page.select_cell(1)
    page.command("jupyter-sessions:close-cell")
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)
    assert kernel.value("[t.state.value, s.state.value]") == ["RUNNING", "TERMINATED"]
    assert page.page.evaluate(CLOSE_ALL_ENABLED), "t is open: the page's list should say so"
    page.command("jupyter-sessions:close-all")
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
    page.page.wait_for_function(f"() => !({CLOSE_ALL_ENABLED})()", timeout=30000)

    page.command("jupyter-sessions:show-panel")
    page.page.wait_for_function(PANEL_SHOWN, timeout=30000)
    # JupyterLab's layout restorer keeps it in the workspace, and shows it again.
    workspace = notebook_name(request).replace(".", "-")
    wait_for(lambda: shown_on_the_right(lab, workspace) == "jupyter-sessions-panel", timeout=30)
    page.page.goto(lab.notebook_url(notebook_name(request)).replace("?reset&", "?"))
    page.wait_ready()
    page.page.wait_for_function(PANEL_SHOWN, timeout=30000)


@pytest.mark.usefixtures("with_extension")
@pytest.mark.remote_browser
def test_a_remote_browser_gets_live_views_through_the_jupyter_proxy(notebook: Notebook) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)
    sockets = page.bokeh_websockets()
    assert sockets and all("/proxy/127.0.0.1:" in url for url in sockets), sockets
    page.screenshot("live-plot-through-proxy")
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30, interval=0.02)


@pytest.mark.usefixtures("with_extension")
@pytest.mark.unreachable_server
def test_a_server_no_one_reaches_sends_its_views_over_the_kernel_channel(
    notebook: Notebook,
) -> None:
    page, kernel = notebook
    open_plot(page, kernel)
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)  # patches arrive over the comm
    assert page.bokeh_websockets() == []  # BokehJS came over the comm too, no websocket
    page.screenshot("live-plot-over-the-kernel-channel")
    page.run_cell(1)  # a re-run: still one session, one view
    page.wait_for_plot(1)
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30, interval=0.02)


def test_in_notebook_7_a_live_plot_renders_and_rerun_keeps_one(
    lab: JupyterLab, notebook7: Notebook
) -> None:
    page, kernel = notebook7
    open_plot(page, kernel)
    first = wait_for(page.sources)
    wait_for(lambda: page.sources() != first, timeout=15)  # live in Notebook 7 too
    page.screenshot(f"notebook7-live-plot-{'extension' if lab.extension else 'fallback'}")
    page.run_cell(1)  # Notebook 7 sends cellId: the kernel alone closes the old one
    page.wait_for_plot(1)
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_in_notebook_7_clearing_closes_its_sessions(notebook7: Notebook) -> None:
    page, kernel = notebook7
    for plugin in ("jupyter-sessions:notebook", "jupyter-sessions:panel"):
        assert page.page.evaluate("(id) => window.jupyterapp.isPluginActivated(id)", plugin)
    open_plot(page, kernel)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_equal(lambda: counts(kernel), [0, 0], timeout=30, interval=0.02)


SLIDERS = Path(__file__).parent / "apps" / "bokeh" / "sliders.py"
# Drag a Bokeh slider as the user's mouse would end it: BokehJS sends the new value.
MOVE_SLIDER = """([title, value]) => {
    const slider = window.Bokeh.documents.flatMap(doc => [...doc.all_models])
        .find(m => m.type === "Slider" && m.title === title);
    slider.value = value;
}"""
CURVE_AT = """(offset) => (window.Bokeh ? window.Bokeh.documents : []).some(doc =>
    [...doc.all_models].some(m => m.type === "ColumnDataSource" && (() => {
        const y = Array.from(m.get_column("y") ?? []);
        return y.length > 0 && Math.abs(y.reduce((a, b) => a + b, 0) / y.length - offset) < 0.05;
    })()))"""


def curve_moves(page: NotebookPage, offset: float) -> None:
    """Move sliders.py's "offset" slider and wait for its curve to sit there."""
    page.page.evaluate(MOVE_SLIDER, ["offset", offset])
    page.page.wait_for_function(CURVE_AT, arg=offset, timeout=30000)


@pytest.mark.session_cell(f"s = open_session({str(SLIDERS)!r})")
@pytest.mark.parametrize(
    "route", ["direct", pytest.param("channel", marks=pytest.mark.unreachable_server)]
)
def test_bokehs_sliders_app_answers_its_slider_idle_and_while_a_cell_is_busy(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest, route: str
) -> None:
    """Bokeh's own sliders.py, unchanged: its Python on_change redraws the curve."""
    if route == "channel" and not lab.extension:
        pytest.skip("the widget path carries page messages only between cells")
    with open_notebook(lab, browser, request, lab.notebook_url) as (page, kernel):
        page.run_cell(1)
        page.wait_for_plot(1)
        curve_moves(page, 2.0)
        page.screenshot(f"sliders-{route}-{'extension' if lab.extension else 'fallback'}")
        page.set_cell_source(2, "time.sleep(30)")
        page.run_cell(2, wait=False)
        wait_for(lambda: page.cell_running(2), timeout=30)
        curve_moves(page, -1.0)
        assert page.cell_running(2)  # answered while the other cell computed
        page.select_cell(1)
        page.command("notebook:clear-cell-output")
        if lab.extension:  # the kernel hears the clear at once, busy or not
            subshell = kernel.create_subshell()
            wait_for(lambda: counts(kernel, subshell) == [0, 0], timeout=30)


# Panel's own pn.bind example, run as its module is (as __main__ it would app.show()).
STAR_RATING = Path(__file__).parent / "apps" / "panel" / "star_rating.py"
STAR_APP = (
    f"import runpy\n_star = runpy.run_path({str(STAR_RATING)!r}, run_name='star_rating')"
    "\np = open_session(_star['app'])"
)


def stars_shown(page: NotebookPage, cell: int, rating: int) -> None:
    """Wait until cell ``cell`` shows ``rating`` stars, as the user reads them."""
    page.output(cell).get_by_text("\u2b50" * rating, exact=True).wait_for(timeout=30000)


@pytest.mark.session_cell(OPEN, STAR_APP)
@pytest.mark.parametrize(
    "route",
    [
        "direct",
        pytest.param("proxy", marks=pytest.mark.remote_browser),
        pytest.param("channel", marks=pytest.mark.unreachable_server),
    ],
)
def test_a_panel_app_after_a_bokeh_view_answers_its_slider_idle_and_while_a_cell_is_busy(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest, route: str
) -> None:
    """Panel's star rating app, unchanged, in a page that already ran BokehJS.

    Panel was not imported when the first view loaded BokehJS: the Panel view brings
    Panel's files then, by its own route, and its pn.bind answers the slider.
    """
    if route != "direct" and not lab.extension:
        pytest.skip(
            "the widget path has no proxy route, and carries page messages only between cells"
        )
    with open_notebook(lab, browser, request, lab.notebook_url) as (page, kernel):
        page.run_cell(1)
        page.wait_for_plot(1)
        page.run_cell(2)
        stars_shown(page, 2, 5)
        page.page.evaluate(MOVE_SLIDER, ["Rating", 3])
        stars_shown(page, 2, 3)
        page.output(2).scroll_into_view_if_needed(timeout=5000)
        page.screenshot(f"panel-{route}-{'extension' if lab.extension else 'fallback'}")
        sockets = page.bokeh_websockets()
        if route == "channel":
            assert sockets == []
        else:
            assert len(sockets) == 2 and all(
                ("/proxy/127.0.0.1:" in url) == (route == "proxy") for url in sockets
            ), sockets
        page.run_cell(2)  # a re-run: one live view of each session
        stars_shown(page, 2, 5)
        wait_equal(lambda: counts(kernel), [2, 2], timeout=30)
        page.set_cell_source(3, "time.sleep(30)")
        page.run_cell(3, wait=False)
        wait_for(lambda: page.cell_running(3), timeout=30)
        page.page.evaluate(MOVE_SLIDER, ["Rating", 8])
        stars_shown(page, 2, 8)
        assert page.cell_running(3)  # answered while the other cell computed
        if lab.extension:  # the kernel hears the clear at once, busy or not
            page.select_cell(2)
            page.command("notebook:clear-cell-output")
            subshell = kernel.create_subshell()
            wait_for(lambda: counts(kernel, subshell) == [1, 1], timeout=30)


@pytest.mark.usefixtures("with_extension")
def test_a_session_closed_while_its_view_loads_leaves_no_view_behind(notebook: Notebook) -> None:
    """Closed right after its cell ran, while the page loads its view. The load fails
    ("lost websocket"): the output must not load the view again by its HTML's script
    (before that fix, one of five rounds at least did, in each of three runs). Or the
    load ends after the closed note replaced the output: nothing shows that view, and
    the renderer must let go of its websocket (seen once in a full run)."""
    page, kernel = notebook
    for _ in range(5):
        page.run_cell(1)
        page.select_cell(1)
        page.command("jupyter-sessions:close-cell")
        wait_equal(lambda: counts(kernel), [0, 0], timeout=30)
        page.output(1).get_by_text("closed (TERMINATED)").wait_for(timeout=30000)
    # BokehJS's autoload.js (the output's HTML) says this; the extension's embed does not.
    assert not [line for line in page.console if "Bokeh items were rendered" in line]
    assert counts(kernel) == [0, 0]
    page.screenshot("closed-while-its-view-loaded")
