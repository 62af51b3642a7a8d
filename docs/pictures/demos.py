"""The demo notebooks, run in JupyterLab and saved with their outputs and pictures.

Each ``notebooks/*.ipynb`` is copied into the JupyterLab's root, opened, and its code
cells run top to bottom as a reader would run them: one at a time, each once its
predecessor replied and the live views it showed rendered (so a view closed by a
later cell was seen, and its note keeps its last picture). The notebook is then saved
in the page, which keeps a picture of each live Bokeh view in the file, again until
every view the page draws has one; the saved file is checked (nbformat) and copied
back over the original. The file's cells are never changed: only their outputs.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
from PIL import Image

from tests.support.jupyterlab import JupyterLab
from tests.support.notebook_page import NotebookPage
from tests.support.notebooks import shut_down_kernels

if TYPE_CHECKING:
    from playwright.sync_api import Browser

log = logging.getLogger("pictures")

VIEWPORT = {"width": 1280, "height": 900}
MIME_TYPE = "application/vnd.jupyter-sessions.session.v1+json"
# A BokehJS-drawn plot in an output (Bokeh's own classes; they pierce its shadow DOM).
FIGURE = ".bk-Figure, .bk-Plot"
# Anything BokehJS rendered (a Panel app's root is a layout, with no figure).
BOKEH = '[class*="bk-"]'
# A cell may start PyMOL workers or a kernel of its own: minutes on a loaded machine.
CELL_TIMEOUT = 300.0
VIEW_TIMEOUT = 30.0
PICTURES_TIMEOUT = 60.0

CELLS = """() => window.jupyterapp.shell.currentWidget.content.model.toJSON().cells"""


def make(lab: JupyterLab, browser: Browser, folder: Path, names: list[str]) -> None:
    """Run and save each notebook ``names`` of ``folder``, in place."""
    for name in names:
        started = time.monotonic()
        shutil.copy(folder / name, lab.root / name)
        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
        try:
            page = NotebookPage(context.new_page(), lab.notebook_url(name))
            try:
                run_all(page)
                save_with_pictures(page)
            except Exception:
                log.error("the page then: %s", page.screenshot(f"pictures-failed-{name}"))
                raise
        finally:
            context.close()
            shut_down_kernels(lab)
        saved = lab.root / name
        check(saved)
        shutil.copy(saved, folder / name)
        log.info(
            "%s: %d KB, %.0f s",
            name,
            (folder / name).stat().st_size // 1000,
            time.monotonic() - started,
        )


def run_all(page: NotebookPage) -> None:
    """Run every code cell in order, each once the one before replied and showed its views."""
    cells = page.page.evaluate(CELLS)
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        log.info("  cell %d (%s)", index, cell.get("id"))
        page.run_cell(index, timeout=CELL_TIMEOUT)
        wait_for_views(page, index)


def wait_for_views(page: NotebookPage, index: int) -> None:
    """Wait until each live Bokeh view cell ``index`` shows has rendered and painted."""
    cell = page.page.evaluate(CELLS)[index]
    for output in cell.get("outputs", []):
        session = output.get("data", {}).get(MIME_TYPE)
        if not bokeh_view(session):
            continue
        view = page.output(index).locator(f'[data-session-id="{session["session_id"]}"]')
        view.locator(BOKEH).first.wait_for(state="attached", timeout=VIEW_TIMEOUT * 1000)
        figure = view.locator(FIGURE).first
        if figure.count():
            # Painted: more than a blank frame's colours on screen.
            deadline = time.monotonic() + VIEW_TIMEOUT
            while colours(figure) <= 2 and time.monotonic() < deadline:
                time.sleep(0.2)


def bokeh_view(session: dict[str, Any] | None) -> bool:
    """Does this output's session show a live Bokeh view (the extension's isBokehView)?"""
    view = (session or {}).get("view") or {}
    return all(isinstance(view.get(key), str) for key in ("url", "view_id", "token"))


def colours(figure: Any) -> int:
    """How many colours ``figure`` shows on screen (a blank frame: 1 or 2)."""
    figure.scroll_into_view_if_needed(timeout=5000)
    image = Image.open(io.BytesIO(figure.screenshot(timeout=5000)))
    return len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ())


def save_with_pictures(page: NotebookPage) -> None:
    """Save until every output whose view the page draws has its picture in the file."""
    deadline = time.monotonic() + PICTURES_TIMEOUT
    while True:
        page.save()
        missing = without_pictures(page)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no picture kept for the views of sessions {missing}")
        time.sleep(0.5)


def without_pictures(page: NotebookPage) -> list[str]:
    """The sessions whose live view the page draws but whose output keeps no picture."""
    missing = []
    for index, cell in enumerate(page.page.evaluate(CELLS)):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            session = data.get(MIME_TYPE)
            if not bokeh_view(session) or "image/png" in data:
                continue
            view = page.output(index).locator(f'[data-session-id="{session["session_id"]}"]')
            if view.locator(FIGURE).count():
                missing.append(session["session_id"])
    return missing


def check(path: Path) -> None:
    """The saved file is a valid notebook; its errors and stderr are logged, to be looked at."""
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)  # type: ignore[no-untyped-call]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                log.warning("  cell %s: %s: %s", cell.id, output.ename, output.evalue)
            if output.output_type == "stream" and output.name == "stderr":
                log.warning("  cell %s wrote to stderr: %s", cell.id, output.text[:300])
    pictures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    log.info("  %d pictures; %s", pictures, json.dumps(notebook.metadata.get("kernelspec")))
