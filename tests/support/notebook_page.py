"""A JupyterLab notebook in Chromium, driven through ``window.jupyterapp`` commands."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

if TYPE_CHECKING:  # conftest loads this where Playwright is not installed (make pythons)
    from playwright.sync_api import Page

# Screenshots, for a failed test and for people to look at (gitignored).
ARTIFACTS = Path(__file__).parent.parent / "artifacts"

# The y column of every ColumnDataSource BokehJS holds in the page.
READ_SOURCES = """() => (window.Bokeh ? window.Bokeh.documents : []).flatMap(doc =>
    [...doc.all_models].filter(m => m.type === "ColumnDataSource")
        .map(m => Array.from(m.get_column("y") ?? [])))"""

# The command's promise settles once the cell's execute_reply came (NotebookActions.run);
# each run gets a token the page marks then, so waiting for a run is waiting on that.
RUN_CELL = """(index) => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = index;
    const runs = (window.__cellRuns ??= []);
    const token = runs.push(false) - 1;
    const settled = () => { runs[token] = true; };
    window.jupyterapp.commands.execute("notebook:run-cell").then(settled, settled);
    return token;
}"""

KERNEL_IDLE = """() => {
    const kernel = window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel;
    return kernel?.status === "idle";
}"""


class NotebookPage:
    """One open notebook; every wait has a timeout."""

    def __init__(self, page: Page, url: str, timeout: float = 60.0) -> None:
        self.page = page
        self.websockets: list[str] = []
        # What the page logged, for a failed test's report.
        self.console: list[str] = []
        page.on("websocket", lambda ws: self.websockets.append(ws.url))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.goto(url, wait_until="domcontentloaded")
        self.wait_ready(timeout)

    def bokeh_websockets(self) -> list[str]:
        """URLs of the websockets BokehJS opened to view sessions."""
        return [url for url in self.websockets if url.endswith("/session/ws")]

    def wait_ready(self, timeout: float = 60.0) -> None:
        self.page.wait_for_function(
            "() => window.jupyterapp && document.querySelector('.jp-Notebook')",
            timeout=timeout * 1000,
        )
        self.wait_idle(timeout)

    def reload(self, timeout: float = 60.0) -> None:
        """Reload the page, as the browser's reload button does."""
        self.page.reload(wait_until="domcontentloaded")
        self.wait_ready(timeout)

    def save(self, timeout: float = 30.0) -> None:
        """Save the notebook and wait until the page holds it clean (nothing to lose)."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty",
            timeout=timeout * 1000,
        )

    def open_panel(self, panel_id: str) -> None:
        self.page.evaluate("(id) => window.jupyterapp.shell.activateById(id)", panel_id)

    def active_cell(self) -> int:
        return int(
            self.page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
            )
        )

    def wait_idle(self, timeout: float = 60.0) -> None:
        self.page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000)

    def run_cell(self, index: int, timeout: float = 60.0, wait: bool = True) -> None:
        """Run cell ``index`` as the user would (Shift+Enter without moving on)."""
        token = self.page.evaluate(RUN_CELL, index)
        if not wait:
            return
        self.page.wait_for_function(
            "(t) => window.__cellRuns[t]", arg=token, timeout=timeout * 1000
        )
        self.wait_idle(timeout)

    def select_cell(self, index: int) -> None:
        self.page.evaluate(
            "(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }",
            index,
        )

    def set_cell_source(self, index: int, source: str) -> None:
        self.page.evaluate(
            """([i, source]) => {
                const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
                cell.model.sharedModel.setSource(source);
            }""",
            [index, source],
        )

    def cell_running(self, index: int) -> bool:
        """Is cell ``index`` executing now (its prompt shows ``[*]``)?"""
        return bool(
            self.page.evaluate(
                "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
                ".model.executionState === 'running'",
                index,
            )
        )

    def restart_kernel(self, timeout: float = 60.0) -> None:
        """Restart the notebook's kernel (no confirmation dialog) and wait until idle."""
        # restart() settles once the server restarted the kernel; idle comes after.
        self.page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart()"
        )
        self.wait_idle(timeout)

    def command(self, name: str, args: dict[str, Any] | None = None) -> None:
        self.page.evaluate(
            "([name, args]) => { void window.jupyterapp.commands.execute(name, args); }",
            [name, args or {}],
        )

    def output(self, index: int) -> Any:
        return self.page.locator(".jp-Cell").nth(index).locator(".jp-OutputArea")

    def sources(self) -> list[list[float]]:
        """The y values of every ColumnDataSource rendered in the page."""
        return list(self.page.evaluate(READ_SOURCES))

    def wait_for_plot(self, index: int, timeout: float = 30.0) -> None:
        """Wait until cell ``index``'s output holds a rendered Bokeh plot."""
        self.output(index).locator(".bk-Figure, .bk-Plot").first.wait_for(
            state="attached", timeout=timeout * 1000
        )

    def plot_colors(self, index: int) -> int:
        """How many colours cell ``index``'s plot shows on screen (a blank one: 1 or 2)."""
        figure = self.output(index).locator(".bk-Figure, .bk-Plot").first
        figure.scroll_into_view_if_needed(timeout=5000)
        image = Image.open(io.BytesIO(figure.screenshot(timeout=5000)))
        return len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ())

    def plot_pixels(self, index: int) -> bytes:
        """What cell ``index``'s plot shows on screen now, as RGB bytes."""
        figure = self.output(index).locator(".bk-Figure, .bk-Plot").first
        figure.scroll_into_view_if_needed(timeout=5000)
        return Image.open(io.BytesIO(figure.screenshot(timeout=5000))).convert("RGB").tobytes()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
