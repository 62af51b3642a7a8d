"""PersistentProcess in a real notebook kernel, driven as JupyterLab drives it (cellId).

The child kernel runs in its own process session (jupyter_client's start_new_session),
so killing the notebook kernel's process group does not hide a child left behind.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.processes import alive
from .support.waits import wait_for

SETUP = "from jupyter_sessions import PersistentProcess, open_session, sessions"
OPEN = "p = open_session(PersistentProcess())\nprint(p.pid)"


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(SETUP) as nb:
        yield nb


def child(nb: NotebookKernel, cell: str) -> int:
    pid = int(ok(nb.run(OPEN, cell_id=cell)).stdout.split()[-1])
    assert psutil.Process(pid).ppid() == nb.pid
    return pid


def test_output_streams_into_the_cell_and_rerun_stops_the_process(kernel: NotebookKernel) -> None:
    old = child(kernel, "cell-a")
    code = (
        "r = p.issue_command(\"print('from child')\\n"
        "from IPython.display import HTML; display(HTML('<i>rich</i>'))\")"
    )
    reply = ok(kernel.run(code, cell_id="cell-b"))
    assert "from child" in reply.stdout
    assert any(d["data"].get("text/html") == "<i>rich</i>" for d in reply.displays)
    new = child(kernel, "cell-a")
    wait_for(lambda: not alive(old), timeout=10)
    assert new != old and alive(new)
    assert kernel.value("[(r['kind'], r['cell']) for r in sessions()]") == [["process", "cell-a"]]


def test_kernel_shutdown_leaves_no_child(kernel: NotebookKernel) -> None:
    pid = child(kernel, "cell-a")
    kernel.shutdown()
    wait_for(lambda: not alive(pid), timeout=15)


def test_sigkill_of_the_notebook_kernel_ends_the_child_and_leaves_no_key(
    kernel: NotebookKernel,
) -> None:
    pid = child(kernel, "cell-a")
    pool = "__import__('jupyter_sessions.interpreters.pool', fromlist=['pool'])"
    connection_file = Path(kernel.value(f"{pool}.live()[0].manager.connection_file"))
    os.kill(kernel.pid, signal.SIGKILL)
    # ipykernel's parent poller (JPY_PARENT_PID) notices within a few seconds.
    wait_for(lambda: not alive(pid), timeout=20)
    # Nobody is left to clean up: the child's connection file, with its key, must
    # already be gone.
    assert connection_file.name.endswith(".json") and not connection_file.exists()


def test_its_row_shows_what_its_kernel_costs(kernel: NotebookKernel) -> None:
    """CPU and memory of the child kernel and its children (core/cost.py), read on asking."""
    pid = child(kernel, "cell-a")
    ok(kernel.run("p.issue_command('x = bytearray(200 * 2**20)')", cell_id="cell-b"))
    row = kernel.value("sessions()[0]")
    assert row["pid"] == pid and row["processes"] >= 1
    assert row["memory_mb"] >= 200  # the child's 200 MB, not the notebook kernel's
    assert row["cpu_s"] > 0
