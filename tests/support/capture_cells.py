"""Cells written for real tools, as their users write them: what capture must own.

Shared by ``tests/test_capture.py`` and ``benchmarks/bench_capture.py``. ``SETUP``
defines, in the kernel, how the kernel itself lists what runs (its listening ports,
its process tree, its tasks), so nothing trusts capture's own bookkeeping; it
switches capture on unless ``capture=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

SETUP = """
import asyncio, multiprocessing.resource_tracker, os, socket, subprocess, sys, threading, time
import psutil
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
{switch}
from jupyter_sessions import keep, sessions

_me = psutil.Process()

def listening():
    connections = _me.net_connections("tcp")
    return sorted({c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN})

def processes():  # but multiprocessing's resource tracker, which serves every cell
    tracker = multiprocessing.resource_tracker._resource_tracker._pid
    return sorted(
        p.pid for p in _me.children(recursive=True)
        if p.status() != psutil.STATUS_ZOMBIE and p.pid != tracker
    )

def tasks(name, period=None):
    return sorted(
        id(t) for t in asyncio.all_tasks()
        if t.get_coro().__name__ == name and not t.done()
        and period in (None, getattr(t.get_coro().cr_frame.f_locals.get("self"), "period", 0))
    )

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def rows():
    return [(r["cell"], r["what"], r["state"]) for r in sessions()]
"""


def setup(capture: bool = True) -> str:
    """What a kernel runs first: the listings, and capture switched on (or not)."""
    return SETUP.replace("{switch}", "%load_ext jupyter_sessions" if capture else "")


@dataclass(frozen=True)
class Case:
    """A cell written for a tool, and what of the kind it starts runs in the kernel (ids)."""

    name: str
    cell: str
    count: str
    needs: str = ""
    setup: str = ""
    runs: int = 3


CASES = [
    Case(
        "bokeh-show-app",
        """
def app(doc):
    doc.add_root(figure(title="sine"))
show(app)
""",
        "listening()",
        setup="""
from bokeh.io import output_notebook, show
from bokeh.plotting import figure
output_notebook(hide_banner=True)
""",
    ),
    Case(
        "panel-serve",
        "server = pn.serve(pn.panel('# hello'), port=0, threaded=True, show=False)\n"
        "wait = time.monotonic() + 30\n"
        "while len(listening()) <= started and time.monotonic() < wait: time.sleep(0.05)",
        "listening()",
        needs="panel",
        setup="import panel as pn\nstarted = len(listening())",
    ),
    Case(
        "panel-periodic-callback",
        "ticks = []\ncb = pn.state.add_periodic_callback(lambda: ticks.append(1), period=50)",
        "tasks('_async_repeat', period=50)",
        needs="panel",
        setup="import panel as pn",
    ),
    Case(
        "http-server-on-a-thread",
        """
import http.server
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
""",
        "listening()",
    ),
    Case(
        "process-tree",
        'p = subprocess.Popen(["bash", "-c", "sleep 300 & sleep 301 & wait"])\n'
        "wait = time.monotonic() + 30\n"
        "while len(psutil.Process(p.pid).children()) < 2 and time.monotonic() < wait:\n"
        "    time.sleep(0.02)",
        "processes()",
    ),
    Case(
        "asyncio-task",
        """
async def poll():
    while True:
        await asyncio.sleep(0.05)
asyncio.ensure_future(poll())
""",
        "tasks('poll')",
    ),
    Case(
        "matplotlib-agg",
        "fig, ax = plt.subplots()\nax.plot([1, 2, 3])",
        "plt.get_fignums()",
        needs="matplotlib",
        setup="import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt",
        runs=25,
    ),
    Case(
        "matplotlib-ipympl",
        "fig, ax = plt.subplots()\nax.plot([1, 2, 3])",
        "plt.get_fignums()",
        needs="ipympl",
        setup="%matplotlib widget\nimport matplotlib.pyplot as plt",
    ),
    Case(
        "dask-local-cluster",
        "cluster = LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None)\n"
        "client = Client(cluster)",
        "processes()",
        needs="distributed",
        setup="from distributed import Client, LocalCluster",
    ),
    Case(
        "gradio-launch",
        'demo = gr.Interface(fn=lambda name: "Hello " + name, inputs="text", outputs="text")\n'
        "demo.launch(prevent_thread_lock=True, quiet=True)",
        "listening()",
        needs="gradio",
        setup="import gradio as gr",
    ),
    Case(
        "dash-run",
        'app = Dash(__name__)\napp.layout = html.Div("hello")\n'
        'app.run(jupyter_mode="external", port=free_port())',
        "listening()",
        needs="dash",
        setup="from dash import Dash, html",
    ),
    Case(
        "uvicorn-fastapi",
        """
api = FastAPI()

@api.get("/")
def root():
    return {"hello": "world"}

server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=0, log_level="warning"))
threading.Thread(target=server.run, daemon=True).start()
wait = time.monotonic() + 30
while not server.started and time.monotonic() < wait:
    time.sleep(0.02)
""",
        "listening()",
        needs="uvicorn",
        setup="import uvicorn\nfrom fastapi import FastAPI",
    ),
]
