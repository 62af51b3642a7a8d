"""A real JupyterLab in Debian's Chromium: what a user sees, and what the kernel counts.

Assertions are on the kernel's own facts (its open sessions and its count of live
Bokeh server sessions), read through a second client on the notebook's kernel.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from .conftest import wait_for
from .jupyterlab import CHROMIUM, CHROMIUM_ARGS, JupyterLab
from .notebook_kernel import NotebookKernel
from .notebook_page import NotebookPage

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="make test installs chromium")

SETUP = """import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from jupyter_sessions import BokehSession, open_session

class Live(BokehSession):
    callback_period = 0.25
    def setup_model(self):
        self.source = ColumnDataSource(data=dict(x=list(range(20)), y=np.random.rand(20)))
        plot = figure(height=220, width=480)
        plot.line("x", "y", source=self.source)
        return plot
    def periodic_callback(self):
        self.source.data.update(y=np.random.rand(20))"""
OPEN = "s = open_session(Live())"
COUNT = ("(len(__import__('jupyter_sessions').sessions()), "
         "__import__('jupyter_sessions').diagnostics.server_info()['view_sessions'])")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    server = JupyterLab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        yield launch(playwright)


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture
def notebook(lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest) -> Iterator[
    tuple[NotebookPage, NotebookKernel]
]:
    """A fresh notebook (setup cell, session cell, a spare cell) open in Chromium."""
    name = f"{request.node.name}.ipynb"
    lab.write_notebook(name, [SETUP, OPEN, "x = 1"])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = NotebookPage(context.new_page(), lab.notebook_url(name))
    kernel = lab.kernel_of(name)
    try:
        page.run_cell(0)
        yield page, kernel
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            page.screenshot(f"failed-{request.node.name}")
        kernel.close()
        context.close()
        for session in lab.api("sessions"):
            if session["path"] == name:
                request_delete(lab, session["id"])


def request_delete(lab: JupyterLab, session_id: str) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{lab.url}/api/sessions/{session_id}", method="DELETE",
        headers={"Authorization": f"token {lab.token}"},
    )
    urllib.request.urlopen(request, timeout=30).close()


def counts(kernel: NotebookKernel) -> tuple[int, int]:
    return tuple(kernel.value(f"list({COUNT})"))  # type: ignore[return-value]


def test_the_html_fallback_renders_a_live_plot(
    notebook: tuple[NotebookPage, NotebookKernel],
) -> None:
    page, kernel = notebook
    page.run_cell(1)
    page.wait_for_plot(1)
    first = wait_for(page.sources)
    time.sleep(1.0)
    assert page.sources() != first  # the periodic callback reaches the browser
    page.screenshot("fallback-live-plot")
    assert counts(kernel) == (1, 1)


def test_rerun_keeps_exactly_one_session(notebook: tuple[NotebookPage, NotebookKernel]) -> None:
    page, kernel = notebook
    for _ in range(3):
        page.run_cell(1)
    page.wait_for_plot(1)
    wait_for(lambda: counts(kernel) == (1, 1), timeout=5)


def test_the_close_button_closes_the_session(
    notebook: tuple[NotebookPage, NotebookKernel],
) -> None:
    page, kernel = notebook
    page.run_cell(1)
    page.wait_for_plot(1)
    page.output(1).get_by_role("button", name="Close").click()
    wait_for(lambda: counts(kernel) == (0, 0), timeout=5)
    page.output(1).get_by_text("closed").wait_for(timeout=5000)
    assert page.output(1).locator("canvas").count() == 0
