"""Capture in JupyterLab and Chromium: clearing a cell lets go of what its code started.

The cell shows nothing of ours (no session output): the page tells the kernel of
any cleared cell, and the kernel releases what the cell holds at once, from the
comm's thread, while another cell computes. The side panel lists what the cell
holds, grouped by cell, with a port and a pid.
"""

from __future__ import annotations

import pytest

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.notebooks import Notebook
from .support.processes import alive
from .support.waits import wait_for

pytestmark = needs_chromium

CAPTURED = """%load_ext jupyter_sessions
import http.server, subprocess, threading
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
child = subprocess.Popen(["sleep", "600"])
"""
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
    page.run_cell(1)
    wait_for(lambda: kernel.value(WHAT) == ["server", "process"], timeout=30)
    pid = kernel.value("child.pid")
    page.open_panel("jupyter-sessions-panel")
    rows = page.page.locator("#jupyter-sessions-panel tr[data-session-id]")
    wait_for(lambda: rows.count() == 2, timeout=30)
    panel = page.page.locator("#jupyter-sessions-panel").inner_text()
    assert "cell [2]" in panel and f"pid {pid}" in panel and "port " in panel
    page.screenshot("capture-side-panel")
    subshell = kernel.create_subshell()
    page.set_cell_source(2, "time.sleep(12)")  # longer than a loaded machine's release
    page.run_cell(2, wait=False)
    wait_for(lambda: page.cell_running(2), timeout=30)
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_for(lambda: not alive(pid), timeout=30)
    wait_for(lambda: kernel.value_now(WHAT, subshell) == [], timeout=30)
    assert page.cell_running(2)  # released while the other cell still computed
    assert kernel.value_now("server.socket.fileno()", subshell) == -1
