"""Fixtures: a real notebook kernel with a ticking BokehSession class defined in it."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import psutil
import pytest

from .notebook_kernel import NotebookKernel, ok

# SIGINT's C handler as this process started: a C library's left behind differs.
_LIBC = ctypes.CDLL(None)


def _sigint_action() -> bytes:
    action = ctypes.create_string_buffer(1024)  # larger than any struct sigaction
    _LIBC.sigaction(signal.SIGINT, None, action)
    return action.raw[:8]  # sa_handler


_STARTING_SIGINT = _sigint_action()


@contextmanager
def interrupted_after(delay: float) -> Iterator[None]:
    """The block must end in KeyboardInterrupt: SIGINT reaches the main thread in ``delay`` s.

    As the kernel's interrupt button does, with Python's handler installed for the
    block as ipykernel installs it around each cell (a process started in the
    background, ``make test-loaded &``, inherits SIGINT ignored). First, SIGINT's C
    handler must still be the one this process started with: PyMOL's start() installs
    its own, which sessions must put back.
    """
    assert _sigint_action() == _STARTING_SIGINT, "a C library's SIGINT handler was left"
    main = threading.main_thread().ident
    assert main is not None and threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(delay, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        yield
    except KeyboardInterrupt:
        return
    finally:
        timer.cancel()  # the block ended first: no SIGINT after it, outside the block
        timer.join(10)
        signal.signal(signal.SIGINT, previous)
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    raise AssertionError(f"no KeyboardInterrupt (SIGINT blocked on the main thread: {blocked})")


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
    """Fresh kernels with ``setup`` run, started while the tests before theirs run.

    A kernel takes about 2 s to start and import Bokeh; a hundred tests that each need
    a fresh one would spend minutes waiting for them. Every test still gets a kernel
    nobody used: only its start overlaps the tests before it, up to ``AHEAD`` of them
    (two cores start two at once). Spares are made only for the next tests that ask
    for one, so no test that counts this process's children, threads or descriptors
    sees a kernel starting.
    """

    AHEAD = 2

    def __init__(self, setup: str) -> None:
        self._setup = setup
        self._spares: collections.deque[Future[NotebookKernel]] = collections.deque()

    def _start(self, made: Future[NotebookKernel]) -> None:
        try:
            kernel = NotebookKernel()
            try:
                ok(kernel.run(self._setup))
            except BaseException:
                kernel.close()
                raise
            made.set_result(kernel)
        except BaseException as exc:
            made.set_exception(exc)
        finally:
            # jupyter_client's run_sync gave this thread an asyncio loop of its own.
            asyncio.get_event_loop_policy().get_event_loop().close()

    def _spare(self) -> Future[NotebookKernel]:
        made: Future[NotebookKernel] = Future()
        threading.Thread(target=self._start, args=(made,), name="spare-kernel").start()
        return made

    def take(self, wanted_next: int) -> NotebookKernel:
        """A fresh kernel; spares start for the next ``wanted_next`` tests (up to AHEAD)."""
        made = self._spares.popleft() if self._spares else self._spare()
        while len(self._spares) < min(wanted_next, self.AHEAD):
            self._spares.append(self._spare())
        return made.result(timeout=120)

    def close(self) -> None:
        """Shut down the spares no test took."""
        while self._spares:
            with contextlib.suppress(Exception):
                self._spares.popleft().result(timeout=120).close()


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


def wait_equal(
    read: Callable[[], Any], expected: Any, timeout: float = 10.0, interval: float = 0.1
) -> None:
    """``wait_for`` the value ``read()`` returns to equal ``expected``; a failure says
    what it was last (a count that never settles says where it stopped)."""
    last: list[Any] = [None]

    def equal() -> bool:
        last[0] = read()
        return bool(last[0] == expected)

    try:
        wait_for(equal, timeout, interval)
    except AssertionError:
        raise AssertionError(f"{last[0]!r} != {expected!r} after {timeout} s: {read}") from None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
