"""Capture in JupyterLab and Chromium: clearing a cell lets go of what its code started.

One cell runs every tool of ``support/capture_cells.py`` (Bokeh ``show(app)``, Panel,
Gradio, Dash, uvicorn, Dask, matplotlib, a process tree, asyncio...), unchanged. It
shows nothing of ours: the kernel calls the page, which then tells the kernel of the
cleared cell, and the kernel releases what the cell holds at once, from the comm's
thread, while another cell computes. The side panel lists what the cell holds, grouped
by cell, with ports and pids.
"""

from __future__ import annotations

import pytest

from .support.capture_cells import CASES, setup
from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.notebooks import Notebook
from .support.processes import alive
from .support.waits import wait_equal, wait_for

pytestmark = needs_chromium

# Every tool of capture_cells.py in one cell (its own %load_ext first), with what ran
# before it noted: clearing the cell must leave none of what the tools started.
TOOLS = [c for c in CASES if c.name != "matplotlib-ipympl"]  # agg's pyplot is the one
LISTS = """LISTS = {
    "ports": listening, "processes": processes, "figures": plt.get_fignums,
    "tasks": lambda: tasks("poll") + tasks("_async_repeat", period=50),
}"""
CAPTURED = "\n".join(
    [
        setup(capture=True),
        "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt",
        LISTS,
        "_before = {name: set(list_()) for name, list_ in LISTS.items()}",
        *(f"{case.setup}\n{case.cell}" for case in TOOLS),
    ]
)
STARTED = "{name: sorted(set(list_()) - _before[name]) for name, list_ in LISTS.items()}"
WHAT = "[r['what'] for r in __import__('jupyter_sessions').sessions()]"


@pytest.fixture
def with_extension(lab: JupyterLab) -> None:
    if not lab.extension:
        pytest.skip("needs the labextension: only the page sees an output cleared")


@pytest.mark.usefixtures("with_extension")
@pytest.mark.session_cell(CAPTURED)
def test_clearing_a_cell_with_no_output_of_ours_releases_what_it_started_at_once(
    notebook: Notebook,
) -> None:
    page, kernel = notebook
    page.run_cell(1, timeout=180)
    started = kernel.value(STARTED)
    assert all(started.values()), started  # each kind of thing, at least one
    held = kernel.value(WHAT)
    assert {"server", "process", "task", "figure", "cluster", "client"} <= set(held), held
    pid = kernel.value("p.pid")  # the process tree's root
    page.open_panel("jupyter-sessions-panel")
    rows = page.page.locator("#jupyter-sessions-panel tr[data-session-id]")
    wait_for(lambda: rows.count() == len(held), timeout=30)
    panel = page.page.locator("#jupyter-sessions-panel").inner_text()
    assert "cell [2]" in panel and f"pid {pid}" in panel and "port " in panel
    page.screenshot("capture-side-panel")
    page.set_cell_source(2, "time.sleep(15)")  # longer than a loaded machine's release
    page.run_cell(2, wait=False)
    wait_for(lambda: page.cell_running(2), timeout=30)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_for(lambda: not alive(pid), timeout=30)
    assert page.cell_running(2)  # released while the other cell still computed
    page.wait_idle()  # the tasks are the busy kernel loop's: cancelled, they end after it
    wait_equal(lambda: kernel.value(WHAT), [], timeout=30)
    left = kernel.value(f"{{name: sorted(set(list_()) & set(ids)) for (name, list_), ids in "
                        f"zip(LISTS.items(), {list(started.values())!r})}}")  # fmt: skip
    assert not any(left.values()), left
