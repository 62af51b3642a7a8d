"""A browser killed without unloading: the kernel notices its silence and lets its page go.

Chromium runs as a process of the test's own (Playwright attaches over CDP), so the
test can kill it as a crash would: no ``pagehide``, no comm closed. The kernel hears
nothing more from the page, lets it go within three heartbeats and a check, and its
session, shown by no page now, closes once its time to live runs out, saying why.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .support.chromium import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from .support.jupyterlab import JupyterLab
from .support.kernels import KERNEL_SETUP
from .support.notebook_page import NotebookPage
from .support.notebooks import notebook_name, shut_down_kernels
from .support.waits import wait_equal, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = needs_chromium

# Two heartbeats a second and a 3 s time to live, so the test takes seconds.
CELL = """%config JupyterSessions.heartbeat_seconds = 0.5
s = open_session(Ticker(), time_to_live_minutes=0.05)"""
FEEDS = "len(_kernel_channel().open_feeds)"
NOTE = "__import__('jupyter_sessions.core.output').core.output.note_bundle(s)['text/plain']"


@pytest.fixture
def own_chromium(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A Chromium process of the test's own and its DevTools websocket URL."""
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            *CHROMIUM_ARGS,
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: the kill takes every Chromium process
    )
    try:
        # Chromium writes its port and the browser's path there once it listens.
        active = profile / "DevToolsActivePort"
        wait_for(lambda: process.poll() is None and len(_lines(active)) == 2, timeout=60)
        port, path = _lines(active)
        yield process, f"ws://127.0.0.1:{port}{path}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_killed_browser_s_page_is_let_go_and_its_unwatched_session_closes(
    lab: JupyterLab,
    browser: Browser,
    own_chromium: tuple[subprocess.Popen[bytes], str],
    request: pytest.FixtureRequest,
) -> None:
    if not lab.extension:
        pytest.skip("the heartbeat is the extension's")
    process, devtools = own_chromium
    name = notebook_name(request)
    running = {session["id"] for session in lab.api("sessions")}
    lab.write_notebook(name, [KERNEL_SETUP.strip(), CELL])
    attached = browser.browser_type.connect_over_cdp(devtools)
    page = NotebookPage(attached.new_context().new_page(), lab.notebook_url(name))
    kernel = lab.kernel_of(name)
    try:
        page.run_cell(0)
        page.run_cell(1)
        page.wait_for_plot(1)
        wait_equal(lambda: kernel.value(FEEDS), 1, timeout=30)
        assert kernel.value("sessions()[0]['closes_in_s']") is None  # watched
        os.killpg(process.pid, signal.SIGKILL)  # no unload, no comm closed: a crash
        process.wait(timeout=30)
        # Let go within 3 silent heartbeats and a check (2 s here; 60 s by default).
        wait_equal(lambda: kernel.value(FEEDS), 0, timeout=30)
        wait_equal(lambda: kernel.value("live()"), [], timeout=30)  # 3 s unwatched
        assert "no page showed it for 0.05 minutes (its time to live)" in kernel.value(NOTE)
    finally:
        kernel.close()
        shut_down_kernels(lab, keep=running)
        wait_for(lambda: process.poll() is not None, timeout=30)
