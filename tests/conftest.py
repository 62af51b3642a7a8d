"""The fixtures: fresh kernels, and JupyterLab with Chromium for the browser tests.

Fixtures only; what they are made of, and every helper a test imports, is in
``tests/support``. Test modules never import each other.

One Chromium serves every browser test (``browser``), and one JupyterLab per mode
(``lab``: with this project's extension, and with it disabled) serves every test
that needs no server of its own; each test still writes its own notebook, gets its
own kernel, shut down after it, and opens its pages in a browser context of its own.
Starting a JupyterLab takes 3 to 5 s, and the three modules that share one started
six. In one process the browser tests run after all the others: so Chromium and
JupyterLab start once, late. `make pytest` runs the two kinds in two processes at
once instead (``-m browser`` and ``-m "not browser"``; ``pytest_itemcollected`` adds
the mark), since the kernel tests mostly wait and leave most of a core free.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from jupyter_sessions import close_all

# Imported first, before any test module: it records SIGINT's C handler as this
# process started, which PyMOL sessions must leave as they found it.
from .support import interrupts  # noqa: F401
from .support.chromium import CHROMIUM, CHROMIUM_ARGS, MEASURE_ARGS
from .support.jupyterlab import JupyterLab
from .support.kernels import KERNEL_SETUP, KernelPool
from .support.notebook_kernel import NotebookKernel
from .support.notebooks import Notebook, open_notebook

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def _kernels() -> Iterator[KernelPool]:
    pool = KernelPool(KERNEL_SETUP)
    yield pool
    pool.close()


@pytest.fixture
def nb(_kernels: KernelPool, request: pytest.FixtureRequest) -> Iterator[NotebookKernel]:
    """A fresh kernel with KERNEL_SETUP run; shut down afterwards."""
    items = request.session.items
    upcoming = items[items.index(request.node) + 1 :][: KernelPool.AHEAD]
    wanted = len(list(itertools.takewhile(lambda item: "nb" in item.fixturenames, upcoming)))
    kernel = _kernels.take(wanted)
    try:
        yield kernel
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            print(f"the kernel's stderr:\n{kernel.stderr()}")  # into the failure's report
        kernel.close()


@pytest.fixture
def close_all_after() -> Iterator[None]:
    """Close every session the test opened in this process (outside any kernel)."""
    yield
    close_all()


@pytest.fixture(scope="session", params=["extension", "fallback"])
def lab(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """JupyterLab with this project's extension, then with it disabled (the fallback).

    One server per mode for the run; pytest runs the tests of one mode together, and
    stops that server before it starts the other.
    """
    server = JupyterLab(tmp_path_factory.mktemp("lab"), extension=request.param == "extension")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, one for the run; a test's pages go in a context of its own.

    Started with what the page memory soak reads (``MEASURE_ARGS``), which changes
    nothing a page does.
    """
    # Imported here: `make pythons` runs the kernel-side tests without Playwright.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEASURE_ARGS]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def notebook(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Notebook]:
    """A fresh notebook open in JupyterLab."""
    with open_notebook(lab, browser, request, lab.notebook_url) as opened:
        yield opened


@pytest.fixture
def notebook7(
    lab: JupyterLab, browser: Browser, request: pytest.FixtureRequest
) -> Iterator[Notebook]:
    """A fresh notebook open in Notebook 7, served by the same Jupyter server."""
    with open_notebook(lab, browser, request, lab.notebook7_url) as opened:
        yield opened


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark the tests that drive Chromium ``browser``: `make pytest` runs them in a
    process of their own, beside the others (``-m browser``, ``-m "not browser"``).

    At collection, so that ``-m`` (which selects after it) sees the mark.
    """
    if "browser" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests last, those on the shared JupyterLab at the very end.

    After pytest's own ordering (``trylast``), which groups the tests of one ``lab``
    together; the sort is stable, so it keeps those groups. Chromium then runs only
    while browser tests do, and the last JupyterLab stops with the last of them.
    """

    def needs(item: pytest.Item) -> tuple[bool, bool]:
        names = getattr(item, "fixturenames", ())
        return "browser" in names, "lab" in names

    items.sort(key=needs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
