"""A fresh notebook per browser test, in a JupyterLab, with a second client on its kernel.

The notebook is written with the setup cell, the test's session cells and a spare
cell, then opened in a browser context of the test's own; its kernel is JupyterLab's,
which the test asks for facts through a second client (``lab.kernel_of``). After
the test, the context closes and every kernel the test started is shut down (its
notebook's, and any other notebook's it opened), so the next test in the same
JupyterLab starts with none of them.

Markers on a test change its notebook: ``session_cell(*sources)`` (the session cells,
instead of one ``OPEN``), ``remote_browser`` (the page cannot reach the kernel's
127.0.0.1, so views go through the Jupyter server's proxy) and ``unreachable_server``
(neither the page nor the proxy can: views go over the kernel's own channel).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from .jupyterlab import JupyterLab
from .kernels import KERNEL_SETUP
from .notebook_kernel import NotebookKernel
from .notebook_page import NotebookPage
from .waits import wait_equal

if TYPE_CHECKING:  # conftest loads this where Playwright is not installed (make pythons)
    from playwright.sync_api import Browser

OPEN = "s = open_session(Ticker())"
COUNT = (
    "[len(__import__('jupyter_sessions').sessions()), "
    "__import__('jupyter_sessions.bokeh.shared_server').bokeh.shared_server.server_info()['view_sessions']]"
)

Notebook = tuple[NotebookPage, NotebookKernel]


@contextmanager
def open_notebook(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest, url: Callable[[str], str]
) -> Iterator[Notebook]:
    """A fresh notebook (setup cell, session cells, a spare cell) open at ``url(name)``.

    The session cells are the ``session_cell`` marker's arguments, else one ``OPEN``.
    """
    name = notebook_name(request)
    running = {session["id"] for session in lab.api("sessions")}
    marker = request.node.get_closest_marker("session_cell")
    sessions = list(marker.args) if marker else [OPEN]
    lab.write_notebook(name, [KERNEL_SETUP.strip(), *sessions, "x = 1"])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    if request.node.get_closest_marker("remote_browser"):
        # A browser on another machine: the kernel's 127.0.0.1 is not its own.
        context.route(re.compile(r"^https?://127\.0\.0\.1:\d+/"), lambda route: route.abort())
    if request.node.get_closest_marker("unreachable_server"):
        # A kernel no one can reach but through its own channel (a Kernel Gateway):
        # neither the browser nor the Jupyter server's proxy gets to its server.
        context.route(
            re.compile(r"^https?://127\.0\.0\.1:\d+/|/proxy/127\.0\.0\.1:"),
            lambda route: route.abort(),
        )
    page = NotebookPage(context.new_page(), url(name))
    kernel = lab.kernel_of(name)
    try:
        page.run_cell(0)
        yield page, kernel
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            page.screenshot(f"failed-{name}")
            print("The page's console:", *page.console[-50:], sep="\n  ")
        kernel.close()
        context.close()
        shut_down_kernels(lab, keep=running)


def notebook_name(request: pytest.FixtureRequest) -> str:
    """The test's notebook file: its name, without ':' or brackets (JupyterLab reads
    "x:" in a path as a drive name)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-") + ".ipynb"


def shut_down_kernels(lab: JupyterLab, keep: Collection[str] = ()) -> None:
    """Shut down the kernel of every session of ``lab`` but those in ``keep`` (ids).

    JupyterLab leaves a notebook's kernel running when its page goes; the DELETE
    returns once the kernel is gone.
    """
    for session in lab.api("sessions"):
        if session["id"] not in keep:
            lab.api(f"sessions/{session['id']}", method="DELETE", timeout=30)


def counts(kernel: NotebookKernel, subshell: str | None = None) -> list[int]:
    """[open sessions, live Bokeh view sessions] in the notebook's kernel."""
    if subshell is not None:
        return list(kernel.value_now(COUNT, subshell))
    return list(kernel.value(COUNT))


def open_plot(page: NotebookPage, kernel: NotebookKernel) -> None:
    """Run the session cell and wait for its live plot, one session and one view."""
    page.run_cell(1)
    page.wait_for_plot(1)
    wait_equal(lambda: counts(kernel), [1, 1], timeout=30)
