"""Fixtures: a real notebook kernel with a ticking BokehSession class defined in it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psutil
import pytest

from .notebook_kernel import NotebookKernel, ok

# A notebook's setup cell: run outside any cell (no cellId) in kernel tests, and as
# the first cell of the notebooks the browser tests open.
KERNEL_SETUP = """
import time
import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from jupyter_sessions import (BokehSession, open_session, close_session, close_all,
                              sessions, print_info)
from jupyter_sessions.bokeh.shared_server import running_server
from jupyter_sessions.core import runtime as _runtime
from jupyter_sessions.core.channel import channel as _kernel_channel
from jupyter_sessions.core.registry import registry as _registry

TICKS = []

class Ticker(BokehSession):
    callback_period = 0.25
    def setup_model(self):
        self.source = ColumnDataSource(data=dict(x=list(range(10)), y=np.random.rand(10)))
        plot = figure(height=200, width=400)
        plot.line("x", "y", source=self.source)
        return plot
    def periodic_callback(self):
        TICKS.append(self.id)
        self.source.data.update(y=np.random.rand(10))

def live():
    return [s["id"] for s in sessions()]

def ticks(session_id):
    return TICKS.count(session_id)

def view_sessions():
    server = running_server()
    return 0 if server is None else server.call(lambda: len(server.view_sessions()))

def view_of(s):
    return {"app_url": s.app_url, "view_id": s.view_id}
"""


@contextmanager
def kernel_with(setup: str) -> Iterator[NotebookKernel]:
    """A fresh kernel that ran ``setup`` outside any cell; shut down afterwards."""
    kernel = NotebookKernel()
    try:
        ok(kernel.run(setup))
        yield kernel
    finally:
        kernel.close()


@pytest.fixture
def nb() -> Iterator[NotebookKernel]:
    """A fresh kernel with KERNEL_SETUP run; shut down afterwards."""
    with kernel_with(KERNEL_SETUP) as kernel:
        yield kernel


def alive(pid: int | None) -> bool:
    """True while process ``pid`` runs (a zombie, exited but not reaped, is not running)."""
    if pid is None:
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it is truthy; return its value or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        time.sleep(interval)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
