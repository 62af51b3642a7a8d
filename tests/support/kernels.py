"""Kernels for tests: the notebook's setup cell, fresh kernels that ran it, a busy cell.

Every test that needs a kernel gets one no other test used: sessions, threads and
comms a test leaves cannot reach the next one. ``KernelPool`` (behind the ``nb``
fixture) starts them ahead, while the tests before theirs run; ``kernel_with`` starts
one at once, for a test that needs a setup of its own.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

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
def kernel_with(setup: str, env: dict[str, str] | None = None) -> Iterator[NotebookKernel]:
    """A fresh kernel that ran ``setup`` outside any cell; shut down afterwards.

    ``env``: environment variables added for the kernel (a setting, ``IPYTHONDIR``).
    """
    kernel = NotebookKernel(env=env)
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


def wait_until_busy(nb: NotebookKernel, msg_id: str, timeout: float = 20.0) -> None:
    """Until the kernel says it runs execution ``msg_id`` (its ``busy`` status)."""
    for msg in nb.iopub(timeout):
        if (
            msg["msg_type"] == "status"
            and msg["content"]["execution_state"] == "busy"
            and msg["parent_header"].get("msg_id") == msg_id
        ):
            return
    raise AssertionError(f"the execution did not start within {timeout} s")


def busy_cell(nb: NotebookKernel, flag: Path) -> str:
    """Start a cell that sleeps until ``flag`` exists (60 s at most); its msg id.

    Busy as ``time.sleep`` is: the kernel's main shell answers nothing meanwhile.
    """
    code = (
        "import os, time\n_t = time.monotonic()\n"
        f"while not os.path.exists({str(flag)!r}) and time.monotonic() - _t < 60:\n"
        "    time.sleep(0.02)\n"
    )
    msg_id = nb.send_execute(code, {"cellId": "cell-busy", "deletedCells": []})
    wait_until_busy(nb, msg_id)
    return msg_id
