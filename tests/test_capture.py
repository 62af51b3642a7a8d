"""Capture: after ``%load_ext jupyter_sessions`` a cell owns what its code starts, unchanged.

Each case is a cell written for a real tool, as its users write it, run three times
in a real kernel driven as JupyterLab drives it (``cellId``, then ``deletedCells``):
three runs leave one run's worth running, and deleting the cell leaves none. The
kernel itself counts what runs (its listening ports, its process tree, its tasks,
pyplot's figures), so nothing here trusts capture's own bookkeeping.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from .support.capture_cells import CASES, Case, setup
from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.waits import wait_equal, wait_for


def available(case: Case) -> pytest.param:  # type: ignore[valid-type]
    needs = [n for n in case.needs.split() if importlib.util.find_spec(n) is None]
    marks = [pytest.mark.skip(reason=f"{', '.join(needs)} not installed")] if needs else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(setup()) as nb:
        yield nb


@pytest.mark.parametrize("case", [available(c) for c in CASES])
def test_reruns_leave_one_and_deleting_the_cell_leaves_none(
    kernel: NotebookKernel, case: Case
) -> None:
    ok(kernel.run(case.setup, cell_id="setup"))
    before = set(kernel.value(case.count))

    def started() -> set[object]:
        return set(kernel.value(case.count)) - before

    ok(kernel.run(case.cell, cell_id="cell-a"))
    one = len(started())
    assert one > 0, f"the cell started nothing that {case.count} lists"
    seen = started()
    for _ in range(case.runs - 1):
        ok(kernel.run(case.cell, cell_id="cell-a"))
        seen |= started()
    wait_equal(lambda: len(started()), one, timeout=30)
    assert {what for _, what, _ in kernel.value("rows()")} <= {
        "server", "thread", "process", "task", "figure", "cluster", "client", "executor",
    }  # fmt: skip
    ok(kernel.run("pass", cell_id="cell-b", deleted=["cell-a"]))
    wait_equal(lambda: sorted(seen & started(), key=str), [], timeout=30)
    wait_equal(lambda: kernel.value("rows()"), [], timeout=30)


def test_what_a_cell_holds_is_listed_with_its_cell_port_pid_and_cost(
    kernel: NotebookKernel,
) -> None:
    ok(kernel.run(CASES[3].cell + CASES[4].cell, cell_id="cell-a"))
    ok(kernel.run("subprocess.run(['true'])", cell_id="cell-b"))  # ended: never listed
    rows = kernel.value("sessions()")
    assert [(r["cell"], r["what"]) for r in rows] == [("cell-a", "server"), ("cell-a", "process")]
    server, process = rows
    assert server["port"] == kernel.value("server.server_address[1]")
    assert process["pid"] == kernel.value("p.pid") and process["processes"] == 3
    assert process["memory_mb"] > 0 and process["cpu_s"] >= 0
    report = kernel.value(
        "repr(__import__('jupyter_sessions').core.diagnostics.Report([], sessions()))"
    )
    assert "cell-a" in report and "server" in report


def test_a_pool_made_in_one_cell_belongs_to_it_when_another_cell_starts_its_workers(
    kernel: NotebookKernel,
) -> None:
    ok(kernel.run("from concurrent.futures import ProcessPoolExecutor", cell_id="setup"))
    ok(kernel.run("pool = ProcessPoolExecutor(max_workers=1)", cell_id="cell-a"))
    ok(kernel.run("pid = pool.submit(os.getpid).result(timeout=60)", cell_id="cell-b"))
    first = kernel.value("pid")
    assert kernel.value("rows()") == [["cell-a", "executor", "RUNNING"]]
    ok(kernel.run("pid = pool.submit(os.getpid).result(timeout=60)", cell_id="cell-b"))  # re-run
    assert kernel.value("pid") == first  # the same worker: B's re-run broke nothing of A's
    ok(kernel.run("pass", cell_id="cell-c", deleted=["cell-a"]))
    wait_equal(lambda: kernel.value("processes()"), [], timeout=30)


def test_shared_helpers_belong_to_no_cell(kernel: NotebookKernel) -> None:
    cell = """
import multiprocessing
import panel as pn
from tqdm import tqdm
pn.state.add_periodic_callback(lambda: None, period=50)
while pn.state._busy_cleanup_scheduled is None:  # made as the callback first runs
    await asyncio.sleep(0.05)
sweep = pn.state._busy_cleanup_scheduled
loop = asyncio.get_running_loop()
await loop.run_in_executor(None, time.sleep, 0)
for _ in tqdm(range(2), mininterval=0, file=sys.stdout):
    pass
spawn = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(300,))
spawn.start()
tracker = multiprocessing.resource_tracker._resource_tracker._pid
executor = loop._default_executor
"""
    ok(kernel.run(cell, cell_id="cell-a"))
    # The spawned process and the periodic callback only.
    assert kernel.value("rows()") == [
        ["cell-a", "task", "RUNNING"],
        ["cell-a", "process", "RUNNING"],
    ]
    tracker = kernel.value("tracker")
    ok(kernel.run("pass", cell_id="cell-b", deleted=["cell-a"]))
    wait_for(lambda: kernel.value("spawn.is_alive()") is False, timeout=30)
    assert kernel.value(f"psutil.pid_exists({tracker})") is True
    assert kernel.value("loop._default_executor is executor and not executor._shutdown") is True
    assert kernel.value("sweep.running and len(tasks('_async_repeat', period=10000))") == 1


def test_kernel_threads_and_this_packages_own_server_are_never_captured(
    kernel: NotebookKernel,
) -> None:
    before = kernel.value("sorted(t.name for t in threading.enumerate())")
    ok(kernel.run("from jupyter_sessions import BokehApp, open_session", cell_id="cell-a"))
    ok(kernel.run("s = open_session(lambda doc: None)", cell_id="cell-b"))
    assert [r["kind"] for r in kernel.value("sessions()")] == ["bokeh"]
    assert set(before) <= set(kernel.value("[t.name for t in threading.enumerate()]"))


def test_keep_lets_one_object_or_a_whole_cell_outlive_its_reruns(kernel: NotebookKernel) -> None:
    kept_one = (
        "a = subprocess.Popen(['sleep', '300'])\nb = keep(subprocess.Popen(['sleep', '301']))"
    )
    ok(kernel.run(kept_one, cell_id="cell-a"))
    assert kernel.value("rows()") == [["cell-a", "process", "RUNNING"]]
    ok(kernel.run("keep()\nc = subprocess.Popen(['sleep', '302'])", cell_id="cell-b"))
    ok(kernel.run("keep(a)", cell_id="cell-c"))  # let go of what a cell owns already
    assert kernel.value("rows()") == []
    ok(kernel.run("pass", cell_id="cell-d", deleted=["cell-a", "cell-b", "cell-c"]))
    assert kernel.value("[a.poll(), b.poll(), c.poll()]") == [None, None, None]
    ok(kernel.run("for q in (a, b, c): q.kill(); q.wait()"))


def test_a_thread_with_no_way_to_stop_it_is_listed_never_killed(kernel: NotebookKernel) -> None:
    cell = "stop = threading.Event()\n"
    cell += "t = threading.Thread(target=stop.wait, name='stubborn')\nt.start()"
    ok(kernel.run(cell, cell_id="cell-a"))
    ok(kernel.run("pass", cell_id="cell-b", deleted=["cell-a"]))
    [row] = kernel.value("sessions()")
    assert (row["cell"], row["what"], row["state"]) == ("cell-a", "thread", "TERMINATING")
    assert "'stubborn'" in row["error"] and "still running" in row["error"]
    assert kernel.value("t.is_alive()") is True
    ok(kernel.run("stop.set(); t.join(10)", cell_id="cell-b"))
    assert kernel.value("rows()") == []


def test_a_failure_inside_capture_never_fails_the_cell(kernel: NotebookKernel) -> None:
    # A thread whose ``_target`` cannot be read: capture looks at it, the thread never does.
    cell = """
class Odd(threading.Thread):
    @property
    def _target(self):
        raise RuntimeError("no target to read")

    @_target.setter
    def _target(self, value):
        pass

    def run(self):
        done.wait()

done = threading.Event()
odd = Odd()
odd.start()
"""
    logged = "import io, logging\nlog = io.StringIO()\n"
    logged += "logging.getLogger('jupyter_sessions').addHandler(logging.StreamHandler(log))"
    ok(kernel.run(logged))
    ok(kernel.run(cell, cell_id="cell-a"))
    assert kernel.value("odd.is_alive()") is True
    assert "Capture of Odd failed" in kernel.value("log.getvalue()")
    assert kernel.value("rows()") == []
    ok(kernel.run("done.set(); odd.join(10)"))


def test_without_the_switch_and_after_unload_nothing_is_captured() -> None:
    with kernel_with("import subprocess\nimport jupyter_sessions") as kernel:
        ok(kernel.run("p = subprocess.Popen(['sleep', '300'])", cell_id="cell-a"))
        ok(kernel.run("p2 = subprocess.Popen(['sleep', '300'])", cell_id="cell-a"))
        assert kernel.value("p.poll()") is None
        assert kernel.value("jupyter_sessions.sessions()") == []
        ok(kernel.run("%load_ext jupyter_sessions", cell_id="cell-b"))
        ok(kernel.run("%unload_ext jupyter_sessions", cell_id="cell-b"))
        ok(kernel.run("p3 = subprocess.Popen(['sleep', '300'])", cell_id="cell-c"))
        ok(kernel.run("pass", cell_id="cell-d", deleted=["cell-c"]))
        assert kernel.value("[p.poll(), p2.poll(), p3.poll()]") == [None, None, None]
        assert kernel.value("hasattr(subprocess.Popen.__init__, '__wrapped__')") is False
        ok(kernel.run("for q in (p, p2, p3): q.kill(); q.wait()"))


def test_the_capture_demo_notebook_runs_and_a_rerun_leaves_one_of_each() -> None:
    demo = nbformat.read(Path(__file__).parent.parent / "notebooks" / "capture.ipynb", 4)
    code = [c for c in demo.cells if c.cell_type == "code"]
    with kernel_with(setup(capture=False)) as kernel:
        for cell in code:
            ok(kernel.run(cell.source, cell_id=cell.id))
        held = [(r["what"], r["state"]) for r in kernel.value("sessions()")]
        assert held == [("server", "RUNNING"), ("process", "RUNNING"), ("task", "RUNNING")]
        tree = kernel.value("tree.pid")
        for cell in code[1:4]:  # re-run the server, the tree and the poller
            ok(kernel.run(cell.source, cell_id=cell.id))
        wait_equal(lambda: len(kernel.value("processes()")), 3 + 1, timeout=30)  # + kept
        assert kernel.value(f"psutil.pid_exists({tree})") is False
        assert [r["what"] for r in kernel.value("sessions()")] == ["server", "process", "task"]
        ok(kernel.run("long_lived.kill(); long_lived.wait()"))


def test_what_a_cells_thread_starts_later_belongs_to_that_cell(kernel: NotebookKernel) -> None:
    cell = """
go = threading.Event()
def later():
    global late
    go.wait(60)
    late = subprocess.Popen(["sleep", "300"])
worker = threading.Thread(target=later, name="later")
worker.start()
"""
    ok(kernel.run(cell, cell_id="cell-a"))
    ok(kernel.run("go.set(); worker.join(30)", cell_id="cell-b"))  # started during cell-b
    assert kernel.value("rows()") == [["cell-a", "process", "RUNNING"]]  # the thread ended
    ok(kernel.run("pass", cell_id="cell-b"))  # re-running cell-b leaves it alone
    assert kernel.value("late.poll()") is None
    ok(kernel.run("pass", cell_id="cell-c", deleted=["cell-a"]))
    wait_for(lambda: kernel.value("late.poll()") is not None, timeout=30)


def test_a_release_that_fails_is_shown_with_why_while_the_thing_runs(
    kernel: NotebookKernel,
) -> None:
    cell = """
from tornado.ioloop import PeriodicCallback
class Stuck(PeriodicCallback):
    def stop(self):
        raise RuntimeError("stuck on purpose")
stuck = Stuck(lambda: None, 60_000)
stuck.start()
"""
    ok(kernel.run(cell, cell_id="cell-a"))
    assert kernel.value("rows()") == [["cell-a", "callback", "RUNNING"]]
    ok(kernel.run("pass", cell_id="cell-b", deleted=["cell-a"]))
    [row] = kernel.value("sessions()")
    assert row["state"] == "TERMINATING"
    assert "its release failed (RuntimeError: stuck on purpose)" in row["error"]
    ok(kernel.run("PeriodicCallback.stop(stuck)", cell_id="cell-b"))
    assert kernel.value("rows()") == []
