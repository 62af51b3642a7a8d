"""Voilà in Debian's Chromium: a live view in a dashboard, with no error from this project.

Voilà renders a notebook's outputs with ipywidgets and loads lab extensions, but has
no notebook panel: the session widget shows the view (directly from the kernel's
server, or over the widget's own comm when the browser cannot reach it), and the
extension's plugins must not fail there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser

from .support.chromium import needs_chromium
from .support.kernels import KERNEL_SETUP
from .support.notebook_page import ARTIFACTS
from .support.processes import free_port, terminate
from .support.waits import wait_for

pytestmark = needs_chromium
PLOT = ".bk-Figure, .bk-Plot"
EXTENSION = Path(__file__).parent.parent / "jupyter_sessions" / "labextension"


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Voilà serving a notebook with a live session, on a free loopback port."""
    root = tmp_path_factory.mktemp("voila")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(KERNEL_SETUP.strip()),
            nbformat.v4.new_code_cell("s = open_session(Ticker())"),
        ]
    )
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, root / "live.ipynb")
    # The extension as a wheel installs it: copied, not the development symlink, which
    # Voilà's static handler refuses to follow out of its data directory.
    data = root / "data"
    shutil.copytree(EXTENSION, data / "labextensions" / "jupyter-sessions")
    port = free_port()
    log = (root / "voila.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            "live.ipynb",
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--ServerApp.allow_root=True",
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "JUPYTER_PATH": str(data)},
    )
    url = f"http://localhost:{port}/"
    try:
        wait_for(lambda: _answers(url) or process.poll() is not None, timeout=90)
        assert process.poll() is None, (root / "voila.log").read_text()
        yield url
    finally:
        terminate(process, 30)
        log.close()


def _answers(url: str) -> bool:
    """Does Voilà answer HTTP at all (any status)?"""
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


@pytest.mark.parametrize("reach", ["direct", "unreachable"])
def test_a_live_view_renders_and_updates_in_voila(voila: str, browser: Browser, reach: str) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    if reach == "unreachable":
        # Voilà deployed for remote users: the kernel host's 127.0.0.1 is not theirs.
        context.route(re.compile(r"^https?://127\.0\.0\.1:\d+/"), lambda route: route.abort())
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(voila, wait_until="domcontentloaded", timeout=120_000)
        figure = page.locator(PLOT).first
        figure.wait_for(state="attached", timeout=120_000)
        first = figure.screenshot(timeout=10_000)
        wait_for(lambda: figure.screenshot(timeout=10_000) != first, timeout=30)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"voila-{reach}.png"))
        time.sleep(0.5)  # let late plugin activations report
        ours = [e for e in errors if "jupyter-sessions" in e or "jupyter_sessions" in e]
        assert ours == [], ours
    finally:
        context.close()
