"""The screenshots a newcomer sees first: a live cell, a re-run, a clear, the side panel.

One notebook, the README's first example in it (read from README.md, so the pictures
show the code the README does), driven as a user would (run a cell,
run it again, clear its output, open the panel) through JupyterLab's commands; the
kernel is asked, through a second client, whether what the picture should show has
happened (one session, then none) before each picture is taken. Each picture is cut
to the cells it is about.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.jupyterlab import JupyterLab
from tests.support.notebook_kernel import NotebookKernel
from tests.support.notebook_page import NotebookPage
from tests.support.notebooks import shut_down_kernels
from tests.support.waits import wait_equal, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser

log = logging.getLogger("pictures")

NAME = "jupyter-sessions.ipynb"
VIEWPORT = {"width": 1280, "height": 860}
# The panel's picture is the whole window: wide enough for the plot beside the panel.
PANEL_VIEWPORT = {"width": 1440, "height": 800}
# The most of the window the panel takes; its "what" column wraps beyond.
PANEL_SHARE = 0.4
# Room around a cut, in CSS pixels, so a picture does not end at a cell's border.
MARGIN = 8

README = Path(__file__).resolve().parent.parent.parent / "README.md"


def readme_example() -> tuple[str, str, str]:
    """The README's first example, as three cells: the kind, the cell that opens it,
    and what follows (``print_info()``), so the pictures show the code the README does."""
    intro = README.read_text().split("<!-- intro: start -->", 1)[-1]
    found = re.search(r"```python\n(.*?)```", intro, re.DOTALL)
    if found is None:
        raise RuntimeError(f"no ```python example in {README.name}'s intro")
    lines = found.group(1).rstrip().splitlines()
    opens = [i for i, line in enumerate(lines) if re.match(r"\w+ = open_session\(", line)]
    if not opens:
        raise RuntimeError(f"{README.name}'s example opens no session (name = open_session(...))")
    at = opens[0]
    return "\n".join(lines[:at]).strip(), lines[at], "\n".join(lines[at + 1 :]).strip()


SETUP, OPEN, INFO = readme_example()
# What capture owns (docs/capture.md): a process and a server, started unchanged.
LOAD = "%load_ext jupyter_sessions"
PROCESS = """\
import subprocess

sleeper = subprocess.Popen(["sleep", "600"])"""
SERVER = """\
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()"""
CELLS = [SETUP, OPEN, INFO, LOAD, PROCESS, SERVER, ""]
SPARE = len(CELLS) - 1

# How wide a table is when nothing in it wraps: measured on a copy, out of sight.
MAX_CONTENT_WIDTH = """(table) => {
    const copy = table.cloneNode(true);
    copy.style.cssText = "width: max-content; position: absolute; visibility: hidden";
    table.parentNode.append(copy);
    const width = copy.getBoundingClientRect().width;
    copy.remove();
    return width;
}"""
OPEN_SESSIONS = "len(__import__('jupyter_sessions').sessions())"


def make(lab: JupyterLab, browser: Browser, out: Path) -> None:
    """Write live-cell.png, rerun.png, clear.png and panel.png into ``out``."""
    lab.write_notebook(NAME, CELLS)
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = NotebookPage(context.new_page(), lab.notebook_url(NAME))
    kernel = lab.kernel_of(NAME)
    try:
        page.run_cell(0)
        live_cell(page, kernel, out / "live-cell.png")
        rerun(page, kernel, out / "rerun.png")
        clear(page, kernel, out / "clear.png")
        side_panel(page, kernel, out / "panel.png")
    except Exception:
        log.error("the page's console:\n  %s", "\n  ".join(page.console[-30:]))
        log.error("the page then: %s", page.screenshot("pictures-failed"))
        raise
    finally:
        kernel.close()
        context.close()
        shut_down_kernels(lab)  # and with it what its cells started


def live_cell(page: NotebookPage, kernel: NotebookKernel, path: Path) -> None:
    """The cell that opened a session, its plot live: seen to change in the page."""
    run_plot(page, kernel)
    shot(page, path, 1, 1)


def rerun(page: NotebookPage, kernel: NotebookKernel, path: Path) -> None:
    """The same cell run again: a new session, and print_info() listing only it."""
    run_plot(page, kernel)
    page.run_cell(2)
    page.output(2).get_by_text(re.compile(r"\b1 open sessions?\b")).first.wait_for(timeout=30000)
    shot(page, path, 1, 2)


def clear(page: NotebookPage, kernel: NotebookKernel, path: Path) -> None:
    """The cell's output cleared: its session closed, as print_info() then says."""
    page.select_cell(1)
    page.command("notebook:clear-cell-output")
    wait_equal(lambda: kernel.value(OPEN_SESSIONS), 0, timeout=30)
    page.run_cell(2)
    page.output(2).get_by_text(re.compile(r"\b0 open sessions?\b")).first.wait_for(timeout=30000)
    shot(page, path, 1, 2)


def side_panel(page: NotebookPage, kernel: NotebookKernel, path: Path) -> None:
    """The Sessions panel beside the notebook: the plot's session, and what capture owns."""
    page.select_cell(2)
    page.command("notebook:clear-cell-output")  # print_info()'s "0 open sessions", now stale
    run_plot(page, kernel)
    for cell in range(3, SPARE):
        page.run_cell(cell)
    wait_equal(lambda: kernel.value(OPEN_SESSIONS), 3, timeout=30)
    page.page.set_viewport_size(PANEL_VIEWPORT)  # type: ignore[arg-type]
    page.page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # no file browser
    page.command("jupyter-sessions:show-panel")
    # The right sidebar, where the command put the panel (whatever its own id).
    panel = page.page.locator("#jp-right-stack")
    closes = panel.get_by_role("button", name=re.compile("close", re.IGNORECASE))
    wait_for(lambda: closes.count() >= 3, timeout=30)
    widen(page, panel)
    settle(page)
    scroll_to(page, 1)
    path.write_bytes(page.page.screenshot())
    log.info("%s: %d KB", path.name, path.stat().st_size // 1000)


def widen(page: NotebookPage, panel: Any) -> None:
    """Drag the right sidebar's edge so that the panel shows its table whole."""
    table = panel.locator("table").first
    if not table.count():
        return  # not a table any more: its own layout decides
    wanted = min(
        table.evaluate(MAX_CONTENT_WIDTH) + 4 * MARGIN, PANEL_VIEWPORT["width"] * PANEL_SHARE
    )
    # The handles between the shell's areas; the last one shown borders the right one.
    handle = page.page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:visible").last
    box, shown = handle.bounding_box(), panel.bounding_box()
    if box is None or shown is None or shown["width"] >= wanted:
        return
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.page.mouse.move(x, y)
    page.page.mouse.down()
    page.page.mouse.move(x - (wanted - shown["width"]), y, steps=5)
    page.page.mouse.up()


def run_plot(page: NotebookPage, kernel: NotebookKernel) -> None:
    """Run the session cell; wait for one session, its plot, and a tick of its callback."""
    page.run_cell(1)
    page.wait_for_plot(1)
    wait_equal(lambda: kernel.value(OPEN_SESSIONS), 1, timeout=30)
    first = wait_for(page.sources, timeout=30)
    wait_for(lambda: page.sources() != first, timeout=30)  # the periodic callback ticked


def settle(page: NotebookPage) -> None:
    """No cell active or edited (no cursor in a picture), the spare cell selected."""
    page.select_cell(SPARE)
    page.command("notebook:enter-command-mode")
    page.page.evaluate("() => document.activeElement?.blur()")


def scroll_to(page: NotebookPage, cell: int) -> None:
    """Scroll the notebook so that cell ``cell`` is at the top of its panel."""
    page.page.locator(".jp-Cell").nth(cell).evaluate(
        "(node) => node.scrollIntoView({block: 'start'})"
    )
    page.page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")


def shot(page: NotebookPage, path: Path, first: int, last: int) -> None:
    """A PNG of cells ``first`` to ``last`` (their inputs and outputs), nothing else."""
    settle(page)
    scroll_to(page, first)
    cells = page.page.locator(".jp-Cell")
    boxes: list[Any] = [cells.nth(i).bounding_box() for i in range(first, last + 1)]
    if any(box is None for box in boxes):
        raise RuntimeError(f"cells {first} to {last} are not all shown")
    # Not above the notebook: its toolbar's border would run across the picture's top.
    notebook = page.page.locator(".jp-NotebookPanel-notebook").first.bounding_box()
    left = min(b["x"] for b in boxes) - MARGIN
    top = max(min(b["y"] for b in boxes) - MARGIN, notebook["y"] + 1 if notebook else 0)
    right = max(b["x"] + b["width"] for b in boxes) + MARGIN
    bottom = max(b["y"] + b["height"] for b in boxes) + MARGIN
    below = cells.nth(last + 1).bounding_box() if cells.count() > last + 1 else None
    if below is not None:
        bottom = min(bottom, below["y"] - 1)  # not the next cell's border
    if bottom > VIEWPORT["height"]:
        raise RuntimeError(f"cells {first} to {last} are taller than the window: {bottom} px")
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    path.write_bytes(page.page.screenshot(clip=clip))  # type: ignore[arg-type]
    log.info("%s: %d KB", path.name, path.stat().st_size // 1000)
