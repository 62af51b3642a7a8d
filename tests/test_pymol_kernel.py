"""PyMOL sessions in a real kernel, driven as JupyterLab drives it (cellId metadata).

Worker processes are found with psutil by their process name. jupyter_client ends a
kernel by SIGKILLing its whole process group, which would hide a worker left
behind: these tests look for workers before that can happen.
"""

from __future__ import annotations

import base64
import os
import signal
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from jupyter_sessions import MIME_TYPE
from jupyter_sessions.pymol.worker import WORKER_TITLE

from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.processes import alive
from .support.pymol_sessions import PEPT
from .support.waits import wait_for

SETUP = f"""
from jupyter_sessions import PyMOLSession, open_session, sessions
PEPT = {PEPT!r}
"""
OPEN = "s = open_session(PyMOLSession())\ns.cmd.load(PEPT)\nprint(s.pid)"
DEMO = Path(__file__).parent.parent / "notebooks" / "pymol.ipynb"


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(SETUP) as nb:
        yield nb


def opened(nb: NotebookKernel, cell: str | None, code: str = OPEN) -> int:
    pid = int(ok(nb.run(code, cell_id=cell)).stdout.split()[-1])
    worker = psutil.Process(pid)
    assert worker.name() == WORKER_TITLE and worker.ppid() == nb.pid
    return pid


def test_rerunning_the_owning_cell_ends_its_worker_within_a_second(kernel: NotebookKernel) -> None:
    old = opened(kernel, "cell-a")
    msg_id = kernel.send_execute(OPEN, {"cellId": "cell-a", "deletedCells": []})
    wait_for(lambda: not alive(old), timeout=1.0, interval=0.02)
    new = int(ok(kernel.collect(msg_id)).stdout.split()[-1])
    assert new != old and alive(new)
    assert kernel.value("[(r['kind'], r['cell']) for r in sessions()]") == [["pymol", "cell-a"]]


def test_deleting_clearing_and_the_close_button_end_workers(kernel: NotebookKernel) -> None:
    deleted, cleared = opened(kernel, "cell-b"), opened(kernel, "cell-c")
    reply = ok(kernel.run(OPEN, cell_id="cell-d"))
    widget = reply.session_widgets[0]
    session_id = reply.displays[0]["data"][MIME_TYPE]["session_id"]
    closed = int(reply.stdout.split()[-1])
    ok(kernel.run("x = 1", cell_id="cell-e", deleted=["cell-b"]))
    wait_for(lambda: not alive(deleted), timeout=10)
    comm_id = uuid.uuid4().hex  # the JupyterLab extension's comm
    hello = {"type": "hello", "origin": "", "base_url": "/"}
    kernel.open_comm(comm_id, "jupyter_sessions.v1", hello)
    kernel.send_comm_msg(comm_id, {"type": "cells_cleared", "cells": ["cell-c"]})
    wait_for(lambda: not alive(cleared), timeout=10)
    assert alive(closed)
    kernel.press_close(widget, session_id)
    wait_for(lambda: not alive(closed), timeout=10)
    assert kernel.value("sessions()") == []


def test_the_cell_shows_the_session_and_show_draws_the_scene(kernel: NotebookKernel) -> None:
    reply = ok(kernel.run(OPEN, cell_id="cell-a"))
    data = reply.displays[0]["data"][MIME_TYPE]
    assert data["kind"] == "pymol" and data["state"] == "RUNNING"
    assert data["view"] == {"isolated": True, "pid": int(reply.stdout.split()[-1])}
    shown_reply = ok(kernel.run("s.show(200, 150)", cell_id="cell-b"))
    shown = shown_reply.displays[-1]["data"]
    assert shown[MIME_TYPE]["session_id"] == data["session_id"]
    assert shown[MIME_TYPE]["view"]["image"] == "image/png"
    png = base64.b64decode(shown["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (200, 150)  # the IHDR chunk
    assert shown["text/html"].startswith('<img src="data:image/png;base64,')
    # Closing retires the picture too, like the session's own output.
    updates = ok(kernel.run("s.close()", cell_id="cell-c")).updates
    retired = {u["transient"]["display_id"] for u in updates}
    assert shown_reply.displays[-1]["transient"]["display_id"] in retired
    assert all(u["data"][MIME_TYPE]["state"] == "TERMINATED" for u in updates)
    # The scene's note keeps its picture under its words, for the saved notebook.
    scene = next(
        u["data"]
        for u in updates
        if u["transient"]["display_id"] == shown_reply.displays[-1]["transient"]["display_id"]
    )
    assert scene["image/png"] == shown["image/png"]
    assert "closed (TERMINATED)" in scene["text/html"]
    assert f'<img src="data:image/png;base64,{shown["image/png"]}"' in scene["text/html"]
    assert scene["text/plain"].endswith("closed (TERMINATED)")


def test_a_pymol_crash_leaves_the_kernel_alive(kernel: NotebookKernel) -> None:
    pid = opened(kernel, "cell-a")
    reply = kernel.run(
        "s.cmd.do('/import pymol2 as p; q = p.PyMOL(); q.start(); q.stop(); q.stop()')",
        cell_id="cell-b",
    )
    assert reply.error is not None and reply.error["ename"] == "PyMOLCrashed"
    assert "SIGSEGV" in reply.error["evalue"]
    assert not alive(pid) and psutil.Process(kernel.pid).is_running()
    assert kernel.value("sessions()[0]['state']") == "CRASHED"
    misuse = (
        "t = open_session(PyMOLSession(isolated=False))\nt.close(); t.close()\n"
        "try:\n    t.cmd.count_atoms()\nexcept Exception as e:\n    print(type(e).__name__)"
    )
    assert ok(kernel.run(misuse, cell_id="cell-c")).stdout.strip() == "SessionError"
    assert (
        ok(
            kernel.run("s.restart(); print(s.cmd.count_atoms('all'))", cell_id="cell-d")
        ).stdout.strip()
        == "0"
    )


def wait_for_output(kernel: NotebookKernel, msg_id: str, text: str, timeout: float = 30.0) -> None:
    """Until execution ``msg_id`` printed ``text``."""
    for msg in kernel.iopub(timeout):
        if (
            msg["msg_type"] == "stream"
            and msg["parent_header"].get("msg_id") == msg_id
            and text in msg["content"]["text"]
        ):
            return
    raise AssertionError(f"{text!r} was not printed within {timeout} s")


def test_interrupting_the_kernel_interrupts_the_cell_not_the_sessions(
    kernel: NotebookKernel,
) -> None:
    pid = opened(kernel, "cell-a")
    ok(
        kernel.run(
            "t = open_session(PyMOLSession(isolated=False))\nt.cmd.load(PEPT)", cell_id="cell-b"
        )
    )
    msg_id = kernel.send_execute(
        "print('in the cell', flush=True)\ns.cmd.do('/import time; time.sleep(5)')",
        {"cellId": "cell-c"},
    )
    # In the cell's code, not just busy: a SIGINT that lands while ipykernel is still
    # setting the execution up can cost the cell its reply (seen under load).
    wait_for_output(kernel, msg_id, "in the cell")
    assert kernel.manager is not None
    kernel.manager.interrupt_kernel()  # SIGINT to the kernel's process group
    reply = kernel.collect(msg_id)
    assert reply.error is not None and reply.error["ename"] == "KeyboardInterrupt"
    assert alive(pid)
    counts = "print(s.cmd.count_atoms('all'), t.cmd.count_atoms('all'), s.pid)"
    assert ok(kernel.run(counts, cell_id="cell-d")).stdout.split() == ["107", "107", str(pid)]


def test_kernel_shutdown_leaves_no_pymol_process(kernel: NotebookKernel, tmp_path: Path) -> None:
    pids = [opened(kernel, "cell-a"), opened(kernel, None), opened(kernel, "cell-b")]
    ok(kernel.run("t = open_session(PyMOLSession(isolated=False))", cell_id="cell-c"))
    log = tmp_path / "events.log"
    ok(
        kernel.run(
            "from jupyter_sessions.core.registry import registry\nregistry().subscribe("
            f"lambda e: open({str(log)!r}, 'a').write(f'{{e.kind}} {{e.state.value}}\\n'))"
        )
    )
    process = psutil.Process(kernel.pid)
    kernel.client.shutdown()  # as JupyterLab does; then look before anyone kills the group
    wait_for(lambda: not alive(process.pid), timeout=30)
    assert [pid for pid in pids if alive(pid)] == []
    assert log.read_text().split("\n").count("removed TERMINATED") == 4


def test_a_killed_kernel_leaves_no_pymol_process(kernel: NotebookKernel) -> None:
    pids = [opened(kernel, "cell-a"), opened(kernel, "cell-b")]
    os.kill(kernel.pid, signal.SIGKILL)  # no atexit, no cleanup: the workers notice alone
    wait_for(lambda: [pid for pid in pids if alive(pid)] == [], timeout=5)


def test_the_demo_notebook_runs_top_to_bottom() -> None:
    notebook = nbformat.read(DEMO, as_version=4)
    nb = NotebookKernel()
    try:
        for cell in notebook.cells:
            if cell.cell_type == "code":
                ok(nb.run(cell.source, cell_id=cell.id, timeout=120))
        rows = nb.value(
            "[(r['kind'], r['state']) for r in __import__('jupyter_sessions').sessions()]"
        )
        assert rows == [["pymol", "RUNNING"]] * 6  # s, fast and four thread workers
    finally:
        nb.close()
