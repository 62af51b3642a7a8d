"""The oldest JupyterLab we claim: the extension asks for it, loads there and works.

The floor is the lower bound of package.json's ``@jupyterlab/*`` ranges (4.1.0:
``NotebookActions.outputCleared`` is new in 4.1). Its ``jupyterlab.sharedPackages``
repeats them as ``requiredVersion``: otherwise the builder takes them from the
JupyterLab it builds with (the newest), and the built extension asks for that one.

``make`` sets up ``.venv-floor`` with that JupyterLab (``JUPYTERLAB_FLOOR`` in the
Makefile), this package from the working tree and its built labextension linked.
One browser test runs there: a live Bokeh plot renders through the extension, and
clearing its output closes the session in the kernel. JupyterLab < 4.4 does not
route comms to a subshell, so the kernel hears the clear on its main shell (the
cell here is idle, so at once).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from playwright.sync_api import Browser

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.kernels import KERNEL_SETUP
from .support.notebook_page import NotebookPage
from .support.waits import wait_for

ROOT = Path(__file__).parent.parent
FLOOR_PYTHON = ROOT / ".venv-floor" / "bin" / "python"
LABEXTENSION = ROOT / "jupyter_sessions" / "labextension"

COUNT = (
    "[len(__import__('jupyter_sessions').sessions()), "
    "__import__('jupyter_sessions.bokeh.shared_server').bokeh.shared_server"
    ".server_info()['view_sessions']]"
)
# What the built remoteEntry asks of the page's shared modules (the builder's output).
REQUIRED = re.compile(r'"(@jupyterlab/[\w-]+)"[^"]{0,80}?requiredVersion:\s*"([^"]+)"')

needs_build = pytest.mark.skipif(
    not (LABEXTENSION / "package.json").exists(), reason="make builds the labextension"
)


def dependencies() -> dict[str, str]:
    return dict(json.loads((ROOT / "package.json").read_text())["dependencies"])


def claimed_floor() -> str:
    """The oldest JupyterLab package.json claims: its ``@jupyterlab/application`` range."""
    match = re.fullmatch(r"\^(\d+\.\d+\.\d+)", dependencies()["@jupyterlab/application"])
    assert match, dependencies()["@jupyterlab/application"]
    return match.group(1)


def built_requirements() -> dict[str, str]:
    """``{module: requiredVersion}`` for the JupyterLab modules the built extension uses."""
    meta = json.loads((LABEXTENSION / "package.json").read_text())
    entry = (LABEXTENSION / meta["jupyterlab"]["_build"]["load"]).read_text()
    required = dict(REQUIRED.findall(entry))
    assert required, "no requiredVersion found in the built remoteEntry"
    return required


@needs_build
def test_the_built_extension_asks_for_what_package_json_claims() -> None:
    required, declared = built_requirements(), dependencies()
    assert required == {module: declared.get(module) for module in required}
    # pyproject's JupyterLab (the test extra's) starts there too.
    lab = next(
        r
        for r in map(Requirement, metadata.requires("jupyter-sessions") or [])
        if r.name == "jupyterlab"
    )
    assert [Version(s.version) for s in lab.specifier if s.operator == ">="] == [
        Version(claimed_floor())
    ]


@pytest.fixture(scope="module")
def floor_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    server = JupyterLab(tmp_path_factory.mktemp("floor"), python=FLOOR_PYTHON)
    yield server
    server.stop()


@needs_build
@pytest.mark.skipif(
    not FLOOR_PYTHON.exists(), reason="make test creates .venv-floor (the oldest JupyterLab)"
)
@needs_chromium
def test_a_live_plot_renders_and_clearing_closes_it(
    floor_lab: JupyterLab, browser: Browser
) -> None:
    name = "floor.ipynb"
    floor_lab.write_notebook(name, [KERNEL_SETUP.strip(), "s = open_session(Ticker())"])
    warnings: list[str] = []
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.on("console", lambda message: warnings.append(message.text))
    notebook = NotebookPage(page, floor_lab.notebook_url(name))
    kernel = floor_lab.kernel_of(name)
    try:
        assert page.evaluate("() => window.jupyterapp.version") == claimed_floor()
        notebook.run_cell(0)
        notebook.run_cell(1)
        notebook.wait_for_plot(1)
        # The extension's renderer shows it (not the HTML fallback), live on a canvas.
        assert notebook.output(1).locator(".jp-jupyter-sessions-output canvas").count()
        wait_for(lambda: kernel.value(COUNT) == [1, 1], timeout=30)
        notebook.select_cell(1)
        notebook.command("notebook:clear-cell-output")
        wait_for(lambda: kernel.value(COUNT) == [0, 0], timeout=30)
    except Exception:
        notebook.screenshot("failed-floor")
        raise
    finally:
        kernel.close()
        context.close()
    # Module federation found every version we ask for (other extensions may not).
    unsatisfied = [
        w
        for w in warnings
        for module, required in built_requirements().items()
        if f"module {module} (required {required})" in w
    ]
    assert not unsatisfied
