"""Tasks and jobs in a real notebook kernel, driven as JupyterLab drives it (cellId).

What only a kernel shows: ``on_finish`` on the kernel main thread, a failed task's
traceback in its own cell (the task's output widget, updated over its comm), and
one re-run of the owning cell stopping a task, a job with a child process and a
persistent interpreter together.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator

import psutil
import pytest

from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.processes import alive
from .support.waits import wait_for

SETUP = """
import sys, threading, time
from jupyter_sessions import Job, PersistentProcess, Task, open_session, print_info, sessions

class Forever(Task):
    def run(self):
        while not self.terminating():
            self.progress(None, "working")
            time.sleep(0.01)

class Stubborn(Task):
    terminate_grace = 0.2
    def run(self):
        time.sleep(3)

class Quick(Task):
    def run(self):
        time.sleep(0.2)
        return 42
    def on_finish(self):
        print("on_finish:", threading.current_thread() is threading.main_thread(), self.result)

class Halfway(Task):
    def run(self):
        time.sleep(0.3)  # after the cell showed the bar: an update, not its first state
        self.progress(0.5, "half way")
        while not self.terminating():
            time.sleep(0.01)

class Boom(Task):
    def run(self):
        time.sleep(0.2)
        return 1 / 0

SPAWNS = (
    "import subprocess, sys, time\\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\\n"
    "print(child.pid, flush=True)\\n"
    "time.sleep(600)\\n"
)
"""


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(SETUP) as nb:
        yield nb


def widget_text(nb: NotebookKernel, wanted: str, timeout: float = 10.0) -> str:
    """The first widget state update (comm_msg on iopub) that contains ``wanted``."""
    for msg in nb.iopub(timeout):
        if msg["msg_type"] != "comm_msg":
            continue
        text = json.dumps(msg["content"]["data"])
        if wanted in text:
            return text
    raise AssertionError(f"no widget update containing {wanted!r} within {timeout} s")


def test_on_finish_runs_on_the_main_thread_and_prints_into_its_cell(kernel: NotebookKernel) -> None:
    ok(kernel.run("t = open_session(Quick())", cell_id="cell-a"))
    text = widget_text(kernel, "on_finish:")
    assert "on_finish: True 42" in text
    assert kernel.value("[t.state.value, t.result]") == ["FINISHED", 42]


def test_progress_shows_in_the_cell_as_a_bar_and_a_status_line(kernel: NotebookKernel) -> None:
    reply = ok(kernel.run("t = open_session(Halfway())", cell_id="cell-a"))
    models = {m["data"]["state"].get("_model_name") for m in reply.comm_opens}
    assert {"FloatProgressModel", "HTMLModel", "OutputModel", "AnyModel"} <= models
    deadline = time.monotonic() + 10
    seen: list[str] = []
    while not ('"value": 0.5' in "".join(seen) and "half way" in "".join(seen)):
        assert time.monotonic() < deadline, f"no progress update in {seen}"
        seen.append(widget_text(kernel, '"value"'))
    assert kernel.value("[r['progress'] for r in sessions()]") == [0.5]


def test_a_closed_tasks_note_keeps_its_last_progress_line(kernel: NotebookKernel) -> None:
    reply = ok(kernel.run("t = open_session(Halfway())", cell_id="cell-a"))
    wait_for(lambda: kernel.value("[r['progress'] for r in sessions()]") == [0.5])
    display_id = reply.displays[0]["transient"]["display_id"]
    note = kernel.display_update(display_id, ok(kernel.run("t.close()", cell_id="cell-b")))
    assert note["data"]["text/plain"].endswith("closed (TERMINATED): 50% half way")


def test_a_failed_task_shows_its_traceback_in_its_cell(kernel: NotebookKernel) -> None:
    ok(kernel.run("t = open_session(Boom())", cell_id="cell-a"))
    text = widget_text(kernel, "return 1 / 0")  # its log; the output's note says less
    assert "Traceback" in text and "ZeroDivisionError" in text
    state = kernel.value("[t.state.value, t.error]")
    assert state == ["FAILED", "ZeroDivisionError: division by zero"]


def test_rerun_stops_a_task_a_job_with_children_and_a_process(kernel: NotebookKernel) -> None:
    cell = (
        "t = open_session(Forever())\n"
        "j = open_session(Job([sys.executable, '-c', SPAWNS]))\n"
        "p = open_session(PersistentProcess())\n"
        "while not j.read_output()[0].strip(): time.sleep(0.05)\n"
        "print(j.pid, j.read_output()[0].strip(), p.pid)"
    )
    job, child, interpreter = map(int, ok(kernel.run(cell, cell_id="cell-a")).stdout.split())
    assert all(alive(pid) for pid in (job, child, interpreter))
    kinds = kernel.value("sorted((r['kind'], r['state']) for r in sessions())")
    assert kinds == [["job", "RUNNING"], ["process", "RUNNING"], ["task", "RUNNING"]]
    ok(kernel.run("old = (t, j)\nprint('re-run')", cell_id="cell-a"))
    assert kernel.value("[s.state.value for s in old]") == ["TERMINATED", "TERMINATED"]
    assert kernel.value("[x.name for x in threading.enumerate() if 'task' in x.name]") == []
    wait_for(lambda: not any(alive(pid) for pid in (job, child, interpreter)), timeout=10)
    assert kernel.value("sessions()") == []


def test_print_info_reports_a_task_that_ignores_terminating(kernel: NotebookKernel) -> None:
    ok(kernel.run("t = open_session(Stubborn())", cell_id="cell-a"))
    ok(kernel.run("pass", cell_id="cell-a"))  # the re-run closes it; it keeps running
    info = ok(kernel.run("print_info()", cell_id="cell-b"))
    html = json.dumps(info.displays)
    assert "Stubborn" in html and "ignores terminating()" in html
    wait_for(lambda: kernel.value("sessions()") == [], timeout=10)


def test_kernel_shutdown_leaves_no_job_process(kernel: NotebookKernel) -> None:
    cell = (
        "j = open_session(Job([sys.executable, '-c', SPAWNS]))\n"
        "while not j.read_output()[0].strip(): time.sleep(0.05)\n"
        "print(j.pid, j.read_output()[0].strip())"
    )
    job, child = map(int, ok(kernel.run(cell, cell_id="cell-a")).stdout.split())
    kernel.shutdown()
    wait_for(lambda: not alive(job) and not alive(child), timeout=10)


def test_a_killed_kernel_takes_its_job_process_groups_with_it(kernel: NotebookKernel) -> None:
    # A job publishes its pid once its guardian knows the group: wait for it, not longer.
    cell = (
        "j = open_session(Job(['sh', '-c', 'sleep 300 & sleep 300 & wait']))\n"
        "deadline = time.monotonic() + 20\n"
        "while j.pid is None and time.monotonic() < deadline: time.sleep(0.01)\n"
        "print(j.pid)"
    )
    job = int(ok(kernel.run(cell, cell_id="cell-a")).stdout)
    group = wait_for(lambda: len(members(job)) == 3 and members(job), timeout=10)
    guardians = [
        c.pid for c in psutil.Process(kernel.pid).children() if "killpg" in " ".join(c.cmdline())
    ]
    assert len(guardians) == 1
    os.kill(kernel.pid, signal.SIGKILL)  # no teardown runs: the OOM killer's way
    wait_for(lambda: not any(alive(pid) for pid in group + guardians), timeout=10)


def members(pgid: int) -> list[int]:
    """The processes of group ``pgid`` now."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if os.getpgid(process.pid) == pgid and alive(process.pid):
                found.append(process.pid)
    return found
