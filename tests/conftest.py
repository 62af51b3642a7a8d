"""Fixtures: a real notebook kernel with a ticking BokehSession class defined in it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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


class KernelPool:
    """Fresh kernels with ``setup`` run, each started while the test before it runs.

    A kernel takes about 2 s to start and import Bokeh; a hundred tests that each need
    a fresh one would spend minutes waiting for them. Every test still gets a kernel
    nobody used: only its start overlaps the previous test. A spare is made only when
    the next test asks for one, so no test that counts this process's children, threads
    or descriptors sees a kernel starting.
    """

    def __init__(self, setup: str) -> None:
        self._setup = setup
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="spare-kernel")
        self._spare: Future[NotebookKernel] | None = None

    def _start(self) -> NotebookKernel:
        kernel = NotebookKernel()
        try:
            ok(kernel.run(self._setup))
        except BaseException:
            kernel.close()
            raise
        return kernel

    def take(self, start_next: bool) -> NotebookKernel:
        """A fresh kernel; with ``start_next``, the next one starts in the background."""
        spare, self._spare = self._spare, None
        kernel = spare.result(timeout=120) if spare is not None else self._start()
        if start_next:
            self._spare = self._starter.submit(self._start)
        return kernel

    def close(self) -> None:
        if self._spare is not None:
            with contextlib.suppress(Exception):
                self._spare.result(timeout=120).close()
        # jupyter_client's run_sync gave the starter thread an asyncio loop of its own.
        self._starter.submit(lambda: asyncio.get_event_loop_policy().get_event_loop().close())
        self._starter.shutdown()


@pytest.fixture(scope="session")
def _kernels() -> Iterator[KernelPool]:
    pool = KernelPool(KERNEL_SETUP)
    yield pool
    pool.close()


@pytest.fixture
def nb(_kernels: KernelPool, request: pytest.FixtureRequest) -> Iterator[NotebookKernel]:
    """A fresh kernel with KERNEL_SETUP run; shut down afterwards."""
    items = request.session.items
    index = items.index(request.node)
    next_wants_one = index + 1 < len(items) and "nb" in items[index + 1].fixturenames
    kernel = _kernels.take(start_next=next_wants_one)
    try:
        yield kernel
    finally:
        kernel.close()


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
