"""``own(obj)``: a cell owns any resource, released by the same triggers as every session.

Each case is a real library's object, owned in a real kernel driven as JupyterLab
drives it (``cellId``, ``deletedCells``); the kernel itself says whether the thing
still runs (a task not done, a port still listening, a process alive).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_sessions import MIME_TYPE

from .support.kernels import kernel_with
from .support.notebook_kernel import NotebookKernel, ok
from .support.processes import alive
from .support.waits import wait_for

SETUP = """
import asyncio, socket, subprocess, sys, threading, time
from jupyter_sessions import close_all, own, sessions

def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False

def rows():
    return [(r["type"], r["state"]) for r in sessions()]
"""


@dataclass(frozen=True)
class Case:
    """One kind of resource: the cell that starts and owns it, and whether it runs."""

    name: str
    cell: str
    running: str
    type_name: str
    needs: str = ""


CASES = [
    Case(
        "asyncio-poller",
        """
async def poll():
    while True:
        await asyncio.sleep(0.02)
x = own(asyncio.get_event_loop().create_task(poll(), name="poller"))
""",
        "not x.done()",
        "asyncio.Task",
    ),
    Case(
        "thread-with-stop-event",
        """
stop = threading.Event()
x = threading.Thread(target=stop.wait, args=(600,), name="worker")
x.start()
own(x, close=stop.set)
""",
        "x.is_alive()",
        "threading.Thread",
    ),
    Case(
        "popen",
        """
x = own(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]))
""",
        "x.poll() is None",
        "subprocess.Popen",
    ),
    Case(
        "http-server",
        """
import http.server
x = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=x.serve_forever, daemon=True).start()
own(x)
""",
        "listening(x.server_address[1])",
        "http.HTTPServer",
    ),
    Case(
        "tornado-server",
        """
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application
sockets = bind_sockets(0, "127.0.0.1")
x = own(HTTPServer(Application()))
x.add_sockets(sockets)
x.port = sockets[0].getsockname()[1]
""",
        "listening(x.port)",
        "tornado.HTTPServer",
    ),
    Case(
        "bokeh-server",
        """
from bokeh.server.server import Server
x = Server({"/app": lambda doc: None}, port=0, address="127.0.0.1")
x.start()
own(x)
""",
        "listening(x.port)",
        "bokeh.Server",
    ),
    Case(
        "dask-cluster-and-client",
        """
from distributed import Client, LocalCluster
cluster = own(LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                           dashboard_address=None))
x = own(Client(cluster))
""",
        "x.status != 'closed' or x.cluster.status.name != 'closed'",
        "distributed.Client",
        needs="distributed",
    ),
    Case(
        "ipywidget",
        """
import ipywidgets
x = own(ipywidgets.IntSlider())
""",
        "x.comm is not None",
        "ipywidgets.IntSlider",
    ),
    Case(
        "matplotlib-animation",
        """
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
fig, ax = plt.subplots()
(line,) = ax.plot([0, 1], [0, 1])
x = own(FuncAnimation(fig, lambda i: (line,), interval=50, cache_frame_data=False))
timer, timer_stop = x.event_source, x.event_source.stop
def stop(timer=timer, timer_stop=timer_stop):  # Agg's timer never fires: see it stopped
    timer.stopped = True
    timer_stop()
timer.stop = stop
""",
        "not getattr(x.event_source, 'stopped', False)",
        "matplotlib.FuncAnimation",
        needs="matplotlib",
    ),
    Case(
        "panel-periodic-callback",
        """
import panel as pn
ticks = []
x = own(pn.state.add_periodic_callback(lambda: ticks.append(1), period=50))
""",
        "x.running",
        "panel.PeriodicCallback",
        needs="panel",
    ),
]


def available(case: Case) -> Case | pytest.param:  # type: ignore[valid-type]
    if not case.needs or importlib.util.find_spec(case.needs) is not None:
        return pytest.param(case, id=case.name)
    return pytest.param(
        case,
        id=case.name,
        marks=pytest.mark.skip(
            reason=f"{case.needs} is not installed (an optional library this case uses)"
        ),
    )


@pytest.fixture
def kernel() -> Iterator[NotebookKernel]:
    with kernel_with(SETUP) as nb:
        yield nb


def own_in(kernel: NotebookKernel, case: Case, cell: str) -> None:
    reply = ok(kernel.run(case.cell, cell_id=cell))
    shown = [d["data"][MIME_TYPE] for d in reply.displays if MIME_TYPE in d["data"]]
    assert shown and shown[-1]["kind"] == "owned", reply.displays
    assert kernel.value(case.running) is True


@pytest.mark.parametrize("case", [available(c) for c in CASES])
def test_each_resource_is_released_when_its_cell_is_rerun(
    kernel: NotebookKernel, case: Case
) -> None:
    own_in(kernel, case, "cell-a")
    assert case.type_name in [t for t, _ in kernel.value("rows()")]
    kernel.run("first = x", cell_id="scratch")
    own_in(kernel, case, "cell-a")  # the re-run releases the first one
    wait_for(lambda: kernel.value(case.running.replace("x", "first")) is False, timeout=30)
    assert kernel.value(case.running) is True  # the new one lives on
    states = [s for _, s in kernel.value("rows()")]
    assert states.count("RUNNING") == (2 if case.name == "dask-cluster-and-client" else 1)


@pytest.mark.parametrize("trigger", ["deleted", "close_all"])
@pytest.mark.parametrize("case", [available(c) for c in CASES[:4]])
def test_deleting_the_cell_or_close_all_releases_it(
    kernel: NotebookKernel, case: Case, trigger: str
) -> None:
    own_in(kernel, case, "cell-a")
    if trigger == "deleted":
        ok(kernel.run("y = 1", cell_id="cell-b", deleted=["cell-a"]))
    else:
        ok(kernel.run("close_all()", cell_id="cell-b"))
    wait_for(lambda: kernel.value(case.running) is False, timeout=30)
    wait_for(lambda: kernel.value("rows()") == [], timeout=30)


def test_kernel_shutdown_releases_what_cells_own_while_the_kernel_still_runs(
    tmp_path: Path,
) -> None:
    # As a Jupyter server shuts a kernel down: a shutdown request, and SIGKILL if the
    # kernel is still there 5 s later (jupyter_client's shutdown_wait_time), when no
    # exit hook runs. ipykernel spends 29 s on a cell's ended, unreaped Popen first.
    released = tmp_path / "released"
    kernel = NotebookKernel()
    try:
        ok(kernel.run(SETUP))
        ok(kernel.run(CASES[2].cell, cell_id="cell-a"))
        ok(
            kernel.run(
                f"own(object(), close=lambda: open({str(released)!r}, 'w').close())",
                cell_id="cell-b",
            )
        )
        pid = kernel.value("x.pid")
        assert alive(pid)
        assert kernel.manager is not None
        kernel.manager.shutdown_kernel(now=False)
    finally:
        kernel.close()
    assert released.exists()
    wait_for(lambda: not alive(pid), timeout=30)


RELEASES = """
released = []
def closer(name, fail=False):
    def close():
        released.append(name)
        if fail:
            raise OSError(name + " was gone already")
    return close
a, b, c = object(), object(), object()
own(a, close=closer("a")); own(b, close=closer("b", fail=True)); own(c, close=closer("c"))
"""


def test_releases_run_newest_first_exactly_once_and_a_failure_stops_none(
    kernel: NotebookKernel,
) -> None:
    ok(kernel.run(RELEASES, cell_id="cell-a"))
    ok(kernel.run("y = 1", cell_id="cell-a"))  # re-run: another source, same cell
    assert kernel.value("released") == ["c", "b", "a"]
    ok(kernel.run("close_all()", cell_id="cell-b"))
    assert kernel.value("released") == ["c", "b", "a"]


def test_something_still_running_after_release_is_listed_until_it_ends(
    kernel: NotebookKernel,
) -> None:
    ok(
        kernel.run(
            """
stop, really = threading.Event(), threading.Event()
x = threading.Thread(target=really.wait, args=(600,))  # ignores stop
x.start()
own(x, close=stop.set)
""",
            cell_id="cell-a",
        )
    )
    ok(kernel.run("close_all()", cell_id="cell-b"))
    [row] = kernel.value("[(r['state'], r['error']) for r in sessions()]")
    assert row[0] == "TERMINATING" and "ignores its stop" in row[1]
    ok(kernel.run("really.set(); x.join(10)", cell_id="cell-b"))
    assert kernel.value("rows()") == []


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("own(42)", "own() cannot release an object of type int"),
        ("own(threading.Thread(target=print))", "own(thread, close=stop_event.set)"),
        ("own(object(), close=5)", "close= must be a callable"),
    ],
)
def test_bad_input_is_a_type_error_that_says_what_to_pass(
    kernel: NotebookKernel, code: str, says: str
) -> None:
    reply = kernel.run(code, cell_id="cell-a")
    assert reply.error and reply.error["ename"] == "TypeError"
    assert says in reply.error["evalue"]
    assert kernel.value("rows()") == []


def test_owning_the_same_object_twice_is_harmless_and_says_so(kernel: NotebookKernel) -> None:
    reply = ok(kernel.run(CASES[2].cell + "own(x)", cell_id="cell-a"))
    assert "owned already" in reply.stderr
    assert kernel.value("rows()") == [["subprocess.Popen", "RUNNING"]]


def test_show_false_owns_without_a_line_in_the_cell(kernel: NotebookKernel) -> None:
    reply = ok(kernel.run("x = own(object(), close=print, show=False)", cell_id="cell-a"))
    assert reply.displays == [] and reply.comm_opens == []
    assert kernel.value("rows()") == [["object", "RUNNING"]]
