"""What a kernel costs while nothing happens: CPU time over the same window, side by side.

Run from the repository root::

    .venv/bin/python benchmarks/bench_idle.py [--seconds 60]

Five REAL IPython kernels (``tests/support/notebook_kernel.py``) run at once and are
measured over the same window, after they settled (a discarded view's garbage
collection comes 5 s after it):

- a plain kernel that ran ``x = 1``;
- Bokeh's own ``output_notebook(); show(app)`` of a static plot, no page;
- this project, one open session of a static plot (no periodic callback), no page;
- the same with a page on it: a websocket client (``tests/support/bokeh_client.py``) holds
  the view, as BokehJS does, and the page's channel is open (its commands and feed comms,
  saying ``alive`` every heartbeat, as the extension does), and nothing changes;
- the same after ``close_all()``.

CPU time is the kernel process's user + system time (psutil), as a percent of one
core; the kernel counts it in ticks of 10 ms (0.02 % over 60 s), and less than a
tick reads "< 0.02". Prints the machine and a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
import warnings
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.*
warnings.filterwarnings("ignore", category=DeprecationWarning)

from timing import machine  # noqa: E402

from tests.support.bokeh_client import ViewClient, fetch_token  # noqa: E402
from tests.support.notebook_kernel import NotebookKernel, ok  # noqa: E402

PLOT = """
from bokeh.plotting import figure
def plot():
    p = figure(height=200, width=400)
    p.line([1, 2, 3], [3, 1, 2])
    return p
"""
OURS = (
    PLOT
    + """
from jupyter_sessions import BokehSession, open_session, close_all
class Static(BokehSession):
    def setup_model(self):
        return plot()
"""
)
SHOW = (
    PLOT
    + """
from bokeh.io import output_notebook, show
output_notebook(hide_banner=True)
"""
)

# name -> (setup outside any cell, the cell)
SIDES = {
    "plain ipykernel": ("", "x = 1"),
    "Bokeh show(app), no page": (SHOW, "show(lambda doc: doc.add_root(plot()))"),
    "jupyter-sessions, open session, no page": (OURS, "s = open_session(Static())"),
    "jupyter-sessions, open session, a page on it": (OURS, "s = open_session(Static())"),
    "jupyter-sessions, after close_all()": (OURS, "s = open_session(Static())"),
}
SETTLE_S = 12.0


HEARTBEAT_S = 15.0  # the default heartbeat_seconds setting


def open_channel(kernel: NotebookKernel) -> str:
    """Open a page's two comms, as the extension does; returns the commands comm's id."""
    commands = uuid.uuid4().hex
    hello = {"type": "hello", "origin": "http://localhost", "base_url": "/", "page": "p"}
    kernel.open_comm(commands, "jupyter_sessions.v1", {**hello, "replaces": ""})
    kernel.open_comm(uuid.uuid4().hex, "jupyter_sessions.sessions.v1", {"page": "p"})
    return commands


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    kernels: dict[str, NotebookKernel] = {}
    client: ViewClient | None = None
    try:
        for name, (setup, cell) in SIDES.items():
            kernel = kernels[name] = NotebookKernel()
            if setup:
                ok(kernel.run(setup))
            ok(kernel.run(cell, cell_id="cell-a"))
        page = kernels["jupyter-sessions, open session, a page on it"]
        view = page.value("{'app_url': s.app_url, 'view_id': s.view_id}")
        client = ViewClient.connect(view["app_url"], fetch_token(view["app_url"], view["view_id"]))
        client.pull()
        commands = open_channel(page)
        ok(kernels["jupyter-sessions, after close_all()"].run("close_all()", cell_id="cell-b"))
        time.sleep(SETTLE_S)
        processes = {name: psutil.Process(k.pid) for name, k in kernels.items()}
        before = {name: cpu_seconds(p) for name, p in processes.items()}
        start = time.monotonic()
        while time.monotonic() - start < args.seconds:  # the page's heartbeat
            page.send_comm_msg(commands, {"type": "alive"})
            time.sleep(min(HEARTBEAT_S, args.seconds - (time.monotonic() - start)))
        elapsed = time.monotonic() - start
        used = {name: cpu_seconds(p) - before[name] for name, p in processes.items()}
    finally:
        if client is not None:
            client.close()
        for kernel in kernels.values():
            kernel.close()
    print(machine("bokeh", "ipykernel"))
    print(f"\nIdle CPU over the same {elapsed:.0f} s, after {SETTLE_S:.0f} s to settle:\n")
    # The kernel counts CPU time in clock ticks of 10 ms: below one tick reads as 0.
    tick = 0.01 / elapsed * 100
    print("| kernel | idle CPU (% of a core) |")
    print("|---|---|")
    for name, seconds in used.items():
        percent = seconds / elapsed * 100
        print(f"| {name} | {f'{percent:.2f}' if seconds else f'< {tick:.2f}'} |")


if __name__ == "__main__":
    main()
