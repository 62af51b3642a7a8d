"""The Sessions side panel and status bar item in JupyterLab, for people.

The panel renders when the kernel's feed says something changed, and not at all
while it is hidden (it counts its renders in ``data-renders``); it is used from the
keyboard alone (Tab to a row and its Close, Enter and Space act, the focus stays
where it was across updates); axe-core finds nothing to fault in it. The status bar
item counts the notebook's sessions and their memory, opens the panel, and goes
when its setting, changed in JupyterLab's Settings Editor, says so. The sessions are
two sleeping processes a cell owns: the cheapest things with a cost (CPU, memory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.notebook_kernel import ok
from .support.notebook_page import NotebookPage
from .support.notebooks import Notebook
from .support.processes import alive
from .support.waits import wait_for

pytestmark = needs_chromium

AXE = Path(__file__).parent.parent / "node_modules" / "axe-core" / "axe.min.js"

TWO_PROCESSES = """
import subprocess
from jupyter_sessions import own
a = own(subprocess.Popen(["sleep", "600"]))
b = own(subprocess.Popen(["sleep", "600"]))
"""
# (session id, pid) of each open session, oldest first.
ROWS = "[(r['id'], r.get('pid')) for r in sessions()]"

PANEL = "#jupyter-sessions-panel"
RENDERS = f"() => Number(document.querySelector('{PANEL}').dataset.renders ?? 0)"
PANEL_SHOWN = f"() => document.querySelector('{PANEL}')?.checkVisibility() ?? false"
STATUS = ".jp-jupyter-sessions-status"
STATUS_SHOWN = f"() => document.querySelector('{STATUS}')?.checkVisibility() ?? false"
# Which session row holds the focus, and is it the row itself or its Close button.
FOCUS = """() => {
    const active = document.activeElement;
    const row = active?.closest('tr[data-session-id]');
    return row ? [row.dataset.sessionId, active.tagName] : null;
}"""
IN_CELL = "() => !!document.activeElement?.closest('.jp-Cell')"


@pytest.fixture
def with_extension(lab: JupyterLab) -> None:
    if not lab.extension:
        pytest.skip("the panel and the status bar item are the labextension's")


def open_two(notebook: Notebook) -> list[list[Any]]:
    """Run the cell that owns two processes; their (id, pid) once the page lists them."""
    page, kernel = notebook
    page.run_cell(1)
    rows: list[list[Any]] = wait_for(lambda: kernel.value(ROWS) or None, timeout=30)
    assert len(rows) == 2, rows
    wait_for(lambda: status_text(page).startswith("2 sessions"), timeout=30)
    return rows


def status_text(page: NotebookPage) -> str:
    return str(page.page.evaluate(f"() => document.querySelector('{STATUS}')?.textContent ?? ''"))


def renders(page: NotebookPage) -> int:
    return int(page.page.evaluate(RENDERS))


def focus(page: NotebookPage) -> list[str] | None:
    value = page.page.evaluate(FOCUS)
    return None if value is None else list(value)


@pytest.mark.usefixtures("with_extension")
@pytest.mark.session_cell(TWO_PROCESSES)
def test_the_panel_and_its_status_bar_item_for_people(notebook: Notebook) -> None:
    page, kernel = notebook
    (a, _), (b, b_pid) = open_two(notebook)
    text = status_text(page)
    assert text.startswith("2 sessions · ") and text.endswith(" MB"), text
    # Never shown yet: the panel has not rendered, though the list changed.
    assert renders(page) == 0
    page.page.locator(STATUS).click()  # the status bar item opens the panel
    page.page.wait_for_function(PANEL_SHOWN, timeout=30000)
    rows = page.page.locator(f"{PANEL} tr[data-session-id]")
    wait_for(lambda: rows.count() == 2, timeout=30)
    assert renders(page) == 1
    assert "MB" in rows.nth(0).inner_text()  # the process tree's cost
    page.screenshot("panel-and-status-bar")

    page.page.add_script_tag(path=str(AXE))
    violations = page.page.evaluate(
        f"async () => (await axe.run(document.querySelector('{PANEL}'))).violations"
        ".map(v => [v.id, v.help, v.nodes.map(n => n.html)])"
    )
    assert violations == []

    # Keyboard alone: the panel took the focus; Tab walks row, Close, row, Close.
    walk = []
    for _ in range(4):
        page.page.keyboard.press("Tab")
        walk.append(focus(page))
    assert walk == [[a, "TR"], [a, "BUTTON"], [b, "TR"], [b, "BUTTON"]]
    # Space on a row goes to its cell, as a click does.
    page.page.keyboard.press("Shift+Tab")
    page.select_cell(2)
    page.page.keyboard.press("Space")
    assert page.active_cell() == 1
    assert page.page.evaluate(IN_CELL)
    # Back in the panel (its command, or its tab): the focus comes in, Tab walks on.
    page.open_panel("jupyter-sessions-panel")
    for _ in range(4):
        page.page.keyboard.press("Tab")
    assert focus(page) == [b, "BUTTON"]

    # An update (the row above goes) leaves the focus where it was.
    before = renders(page)
    kernel.value(f"_registry().get({a!r}).close()")
    wait_for(lambda: rows.count() == 1, timeout=30)
    assert renders(page) == before + 1
    assert focus(page) == [b, "BUTTON"]
    # Enter on it closes its session: the kernel lets go of the process.
    page.page.keyboard.press("Enter")
    wait_for(lambda: kernel.value(ROWS) == [], timeout=30)
    wait_for(lambda: not alive(b_pid), timeout=30)
    page.page.get_by_text("No sessions in this notebook.").wait_for(timeout=30000)

    # Hidden, it renders nothing; shown, it catches up, once.
    page.command("application:toggle-right-area")
    page.page.wait_for_function(f"() => !({PANEL_SHOWN})()", timeout=30000)
    before = renders(page)
    ok(kernel.run("c = own(subprocess.Popen(['sleep', '600']))"))  # no cell's
    wait_for(lambda: status_text(page).startswith("1 session"), timeout=30)
    page.run_cell(1)
    wait_for(lambda: status_text(page).startswith("3 sessions"), timeout=30)  # the page heard
    assert renders(page) == before
    page.open_panel("jupyter-sessions-panel")
    wait_for(lambda: rows.count() == 3, timeout=30)
    assert renders(page) == before + 1

    # The Settings Editor's form: off hides the item at once, on shows it again.
    page.page.wait_for_function(STATUS_SHOWN, timeout=30000)
    page.command("settingeditor:open", {"query": "Sessions"})
    setting = page.page.get_by_label("Status bar item")
    setting.uncheck(timeout=30000)
    page.page.wait_for_function(f"() => !({STATUS_SHOWN})()", timeout=30000)
    setting.check()
    page.page.wait_for_function(STATUS_SHOWN, timeout=30000)
