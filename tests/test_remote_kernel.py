"""A real remote kernel: a Kernel Gateway in a network namespace of its own, JupyterLab
on this host, Debian's Chromium. Neither the browser nor the Jupyter server can reach
the kernel's 127.0.0.1, so live views travel over the kernel's own channel.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .support.chromium import needs_chromium
from .support.jupyterlab import JupyterLab
from .support.kernels import KERNEL_SETUP
from .support.notebook_page import NotebookPage
from .support.remote_kernel import (
    NamespaceUnavailable,
    execute,
    kernel_gateway,
    namespace_pids,
    network_namespace,
)
from .support.waits import wait_for

COUNT = (
    "import json, jupyter_sessions.bokeh.shared_server as _s; "
    "print(json.dumps([len(sessions()), _s.server_info()['view_sessions']]))"
)

FACTS = """
import json, os, socket, sys
import jupyter_sessions
probe = socket.socket()
probe.settimeout(5)
try:
    probe.connect(("127.0.0.1", {port}))
    loopback = "connected"
except OSError as error:
    loopback = type(error).__name__
finally:
    probe.close()
print(json.dumps({{
    "pid": os.getpid(), "executable": sys.executable, "loopback": loopback,
    "interfaces": sorted(name for _, name in socket.if_nameindex()),
    "mark": os.environ.get("REMOTE_KERNEL_MARK"), "home": os.environ.get("HOME"),
}}))
"""


def test_a_lab_kernel_on_the_gateway_runs_in_the_namespace_and_not_on_this_loopback(
    tmp_path: Path,
) -> None:
    with ExitStack() as stack, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        try:
            namespace = stack.enter_context(network_namespace())
        except NamespaceUnavailable as reason:
            pytest.skip(str(reason))
        gateway = stack.enter_context(
            kernel_gateway(
                namespace.name,
                namespace.address,
                tmp_path / "gateway",
                env={"REMOTE_KERNEL_MARK": "set by the test"},
            )
        )
        (tmp_path / "lab").mkdir()
        lab = JupyterLab(tmp_path / "lab", gateway_url=gateway.url)
        stack.callback(lab.stop)

        kernel = lab.api("kernels", {"name": "python3"}, timeout=130)
        assert [k["id"] for k in lab.api("kernels")] == [kernel["id"]]
        reply = execute(lab.url, lab.token, kernel["id"], FACTS.format(port=port))
        assert reply.status == "ok", reply.traceback
        facts = json.loads(reply.stdout)

        assert facts["pid"] in namespace_pids(namespace.name)
        assert facts["pid"] != gateway.process.pid
        assert facts["executable"] == sys.executable
        assert facts["interfaces"] == sorted(["lo", namespace.link])
        assert facts["loopback"] == "ConnectionRefusedError"
        assert (facts["mark"], facts["home"]) == ("set by the test", os.environ.get("HOME"))


@pytest.fixture(scope="module")
def remote_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """JupyterLab on this host whose kernels run on a gateway in a namespace."""
    root = tmp_path_factory.mktemp("remote")
    with ExitStack() as stack:
        try:
            namespace = stack.enter_context(network_namespace())
        except NamespaceUnavailable as reason:
            pytest.skip(str(reason))
        gateway = stack.enter_context(
            kernel_gateway(namespace.name, namespace.address, root / "gateway")
        )
        (root / "lab").mkdir()
        lab = JupyterLab(root / "lab", gateway_url=gateway.url)
        stack.callback(lab.stop)
        yield lab


def counts(lab: JupyterLab, kernel_id: str) -> list[int]:
    """[open sessions, live Bokeh view sessions] in the remote kernel."""
    reply = execute(lab.url, lab.token, kernel_id, COUNT)
    assert reply.status == "ok", reply.traceback
    return list(json.loads(reply.stdout.strip().splitlines()[-1]))


def kernel_id_of(lab: JupyterLab, name: str) -> str:
    ids = [s["kernel"]["id"] for s in lab.api("sessions") if s["path"] == name]
    return str(ids[0]) if ids else ""


def open_notebook(context: BrowserContext, url: str) -> NotebookPage:
    """The notebook's page once its kernel is idle; opened a second time if need be.

    In two full runs of the suite (never alone), a page stayed without its new
    gateway kernel's first idle status for 120 s: at page load, before any cell, so
    before any of this project's code runs in the kernel. One more try, then fail.
    """
    first = context.new_page()
    try:
        return NotebookPage(first, url, timeout=30)
    except PlaywrightTimeout:
        first.close()
    return NotebookPage(context.new_page(), url, timeout=120)


@needs_chromium
@pytest.mark.parametrize("frontend", ["extension", "widget"])
def test_a_remote_kernels_live_plot_renders_updates_reruns_and_clears(
    remote_lab: JupyterLab, browser: Browser, frontend: str
) -> None:
    """With this project's extension, and without it (its bundle blocked, as in a
    frontend that only renders ipywidgets): then the session widget does it all."""
    lab = remote_lab
    name = f"remote-{frontend}.ipynb"
    lab.write_notebook(name, [KERNEL_SETUP.strip(), "s = open_session(Ticker())", "x = 1"])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    if frontend == "widget":
        context.route(re.compile(r"/lab/extensions/jupyter-sessions/"), lambda route: route.abort())
    try:
        page = open_notebook(context, lab.notebook_url(name))
        page.run_cell(0, timeout=120)
        kernel_id = wait_for(lambda: kernel_id_of(lab, name), timeout=30)
        page.run_cell(1)
        page.wait_for_plot(1, timeout=60)
        before = page.plot_pixels(1)
        wait_for(lambda: page.plot_pixels(1) != before, timeout=30)  # live, over the comm
        assert page.bokeh_websockets() == []  # no websocket could reach that kernel
        page.screenshot(f"remote-kernel-live-plot-{frontend}")
        page.run_cell(1)  # a re-run keeps one session
        page.wait_for_plot(1, timeout=60)
        wait_for(lambda: counts(lab, kernel_id) == [1, 1], timeout=30)
        page.select_cell(1)
        page.command("notebook:clear-cell-output")
        wait_for(lambda: counts(lab, kernel_id) == [0, 0], timeout=30)
    finally:
        context.close()
