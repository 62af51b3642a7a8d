"""jupyter-sessions against Bokeh's own ``show(app)`` with jupyter_bokeh's cleanup.

Run from the repository root::

    .venv/bin/python benchmarks/bench_bokeh.py [--quick]

Both sides run in REAL IPython kernels driven with jupyter_client the way
JupyterLab 4 drives them (``tests/notebook_kernel.py``): every cell is an
execute_request whose metadata carries ``cellId``, ``deletedCells`` and
``recordTiming``. A harness-side websocket client (``tests/bokeh_client.py``)
plays the browser: it loads ``autoload.js`` from the cell's output, opens the
websocket with the notebook page's ``Origin`` and pulls the document, as BokehJS
does.

The anchor is what a Bokeh user has today: ``output_notebook()`` then
``show(app)``, which starts a Bokeh server on the kernel's own IOLoop. In
JupyterLab, jupyter_bokeh's renderer ``dispose()`` runs
``destroy_server(server_id)`` as code in the kernel when the output goes away;
JupyterLab clears a cell's outputs before it sends the re-run, so that code
reaches the kernel just before the cell. The harness sends exactly that code
(read from the installed jupyter_bokeh bundle) at the same moment.

Prints the machine and a Markdown table; writes the same as JSON to
``benchmarks/results/bokeh.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import sys
import time
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from timing import percentile, wait_for  # noqa: E402

from tests.bokeh_client import DEFAULT_ORIGIN, ViewClient, fetch_token  # noqa: E402
from tests.notebook_kernel import NotebookKernel, Reply  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bokeh.json"
MIME_TYPE = "application/vnd.jupyter-sessions.session.v1+json"
BOKEH_EXEC_MIME = "application/vnd.bokehjs_exec.v0+json"
PERIOD = 0.25  # seconds, both sides' periodic callback
BUSY_SECONDS = 2.0
BROWSE_EVERY = 10  # row 3: a browser connects to every 10th output (time budget)
RERUN_CAP_S = 420.0  # row 3: stop a re-run loop that takes longer than this (reported)
TIMEOUT = 30.0  # seconds, any single kernel request
OURS = "jupyter-sessions"
ANCHOR = "bokeh show(app) + jupyter_bokeh cleanup"


@dataclass(frozen=True)
class Plan:
    """How many samples each measurement takes."""

    open_cells: int
    cleanup_reps: int
    reruns: int
    busy_reps: int
    baseline_after: int = 20
    warmup: int = 3


FULL = Plan(open_cells=30, cleanup_reps=20, reruns=1000, busy_reps=3)
QUICK = Plan(open_cells=15, cleanup_reps=8, reruns=200, busy_reps=2)


# -- code run inside the kernels ----------------------------------------------------

# Outside any cell (no cellId), like a notebook's setup cell. Ticks and the start
# and end of every execution are recorded in the kernel with time.monotonic().
COMMON_SETUP = """
import gc, itertools, threading, time
import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

TICKS = {}       # app key -> in-kernel times of its periodic callback
RECORD = [True]  # the re-run loop turns tick logging off so it is not counted as growth
STARTS = {}      # execute_request msg_id -> when IPython started it (pre_execute)
ENDS = {}        # execute_request msg_id -> when IPython finished it (post_execute)
DESTROYED = {}   # app key -> when all of its Bokeh server sessions were destroyed
BUSY = []        # (start, end) of every busy cell

def _remember(log, key, value, keep=256):
    log[key] = value
    while len(log) > keep:
        del log[next(iter(log))]

def _msg_id():
    return ((get_ipython().parent_header or {}).get("header") or {}).get("msg_id")

def _pre_execute():
    _remember(STARTS, _msg_id(), time.monotonic())

def _post_execute():
    _remember(ENDS, _msg_id(), time.monotonic())

get_ipython().events.register("pre_execute", _pre_execute)
get_ipython().events.register("post_execute", _post_execute)

def tick(key):
    if RECORD[0]:
        TICKS.setdefault(key, []).append(time.monotonic())

def new_plot():
    source = ColumnDataSource(data=dict(x=list(range(10)), y=np.random.rand(10)))
    plot = figure(height=200, width=400)
    plot.line("x", "y", source=source)
    return plot, source

def watch_destroyed(key, server_sessions, timeout=10.0):
    # A watcher thread: the moment every one of these Bokeh server sessions is destroyed.
    def run():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(s.destroyed for s in server_sessions):
                DESTROYED[key] = time.monotonic()
                return
            time.sleep(0.002)
    threading.Thread(target=run, name="bench-watch", daemon=True).start()

def rerun_record(key, first_msg, stopped):
    return {"t0": STARTS.get(first_msg), "stopped": stopped, "ticks": TICKS.pop(key, [])}

def busy_ticks(key):
    ticks = TICKS.get(key, [])
    rows = [(sum(b0 <= t <= b1 for t in ticks), b1 - b0) for b0, b1 in BUSY]
    BUSY.clear()
    return rows

def kernel_stats():
    import comm
    gc.collect()
    return {"threads": threading.active_count(), "comms": len(comm.get_comm_manager().comms)}
"""

OURS_SETUP = """
from jupyter_sessions import BokehSession, open_session, close_all, sessions
from jupyter_sessions import kernel as _kernel

STOPPED = {}  # session id -> when its close finished (callbacks removed)

def _on_event(event):
    if event.kind == "removed":
        _remember(STOPPED, event.session_id, time.monotonic())

_kernel.registry().subscribe(_on_event)

class Ticker(BokehSession):
    callback_period = 0.25

    def setup_model(self):
        plot, self.source = new_plot()
        return plot

    def periodic_callback(self):
        tick(self.id)
        self.source.data.update(y=np.random.rand(10))

def stop_time(key, dispose_msg):
    return STOPPED.get(key)

def watch(key, view_id):
    server = _kernel.running_bokeh_server()
    found = server.call(lambda: [s for s in server.view_sessions() if s.id == view_id])
    watch_destroyed(key, found)

def live_server_sessions():
    server = _kernel.running_bokeh_server()
    return 0 if server is None else server.call(
        lambda: sum(not s.destroyed for s in server.view_sessions()))

def holdings():
    server = _kernel.running_bokeh_server()
    return {"sessions": len(sessions()), "servers": int(server is not None),
            "server_sessions": live_server_sessions(), **kernel_stats()}
"""

BOKEH_SETUP = """
from bokeh.application import Application
from bokeh.application.handlers.function import FunctionHandler
from bokeh.io import output_notebook, show
from bokeh.io.state import curstate

_app_numbers = itertools.count(1)
LAST_APP = [None]

def ticking_app():
    key = f"app-{next(_app_numbers)}"
    LAST_APP[0] = key

    def make_doc(doc):
        plot, source = new_plot()
        doc.add_root(plot)

        def periodic():
            tick(key)
            source.data.update(y=np.random.rand(10))

        doc.add_periodic_callback(periodic, 250)

    return Application(FunctionHandler(make_doc))

def stop_time(key, dispose_msg):
    return ENDS.get(dispose_msg)

def watch(key, server_id):
    watch_destroyed(key, list(curstate().uuid_to_server[server_id].get_sessions()))

def live_server_sessions():
    servers = curstate().uuid_to_server.values()
    return sum(not s.destroyed for server in servers for s in server.get_sessions())

def holdings():
    live = live_server_sessions()
    return {"sessions": live, "servers": len(curstate().uuid_to_server),
            "server_sessions": live, **kernel_stats()}

output_notebook(hide_banner=True)
"""

BUSY_CELL = (
    f"_b0 = time.monotonic(); time.sleep({BUSY_SECONDS}); BUSY.append((_b0, time.monotonic()))"
)


# -- small helpers ------------------------------------------------------------------


@dataclass(frozen=True)
class NA:
    """A value that could not be measured, and why."""

    reason: str


def median(values: list[float]) -> float:
    return percentile(values, 0.5)


def jupyter_bokeh_dispose_code() -> str:
    """The code jupyter_bokeh's renderer runs in the kernel on dispose(), with {server_id}.

    Read from the installed labextension bundle so the harness sends what JupyterLab
    would; exits with a clear message if jupyter_bokeh is missing.
    """
    spec = importlib.util.find_spec("jupyter_bokeh")
    if spec is None or spec.origin is None:
        sys.exit("jupyter_bokeh is not installed; run: .venv/bin/pip install jupyter_bokeh")
    static = Path(spec.origin).parent / "labextension" / "static"
    pattern = re.compile(r"code:`(import bokeh\.io\.notebook as ion; ion\.destroy_server\(\"\$\{"
                         r"this\._server_id\}\"\))`")
    for bundle in sorted(static.glob("*.js")):
        match = pattern.search(bundle.read_text(errors="replace"))
        if match:
            return match.group(1).replace("${this._server_id}", "{server_id}")
    sys.exit(f"jupyter_bokeh's renderer bundle in {static} has no destroy_server call; "
             "this benchmark was written against jupyter_bokeh 4.x")


def listening_sockets(pid: int) -> int:
    """How many TCP sockets process ``pid`` listens on."""
    conns = psutil.Process(pid).net_connections(kind="tcp")
    return sum(c.status == psutil.CONN_LISTEN for c in conns)


# -- the two sides ------------------------------------------------------------------


@dataclass
class Shown:
    """One cell output showing a live app, as the frontend holds it."""

    key: str | None  # what the kernel's tick log calls the app
    app_url: str
    view_id: str | None = None  # jupyter-sessions: the signed view id in the output
    autoload: str | None = None  # Bokeh: the autoload.js URL in the output's script
    server_id: str | None = None  # Bokeh: jupyter_bokeh's handle for destroy_server


@dataclass
class Execution:
    """One cell run: what it showed, its execute_request id and its round trip."""

    shown: Shown
    msg_id: str
    seconds: float


class Side:
    """One project's notebook: the kernel, the cell that opens an app, the renderer."""

    name = ""
    setup = ""
    cell = ""

    def __init__(self, nb: NotebookKernel) -> None:
        self.nb = nb

    def value(self, expr: str) -> Any:
        return self.nb.value(expr, timeout=TIMEOUT)

    def execute(self, code: str, cell_id: str) -> tuple[Reply, str, float]:
        """Run ``code`` as cell ``cell_id`` as JupyterLab does; (reply, msg id, seconds)."""
        metadata = {"recordTiming": False, "cellId": cell_id, "deletedCells": []}
        start = time.perf_counter()
        msg_id = self.nb.send_execute(code, metadata)
        reply = self.nb.collect(msg_id, TIMEOUT)
        seconds = time.perf_counter() - start
        if reply.status != "ok":
            raise RuntimeError(f"cell {cell_id} failed:\n{reply.traceback}")
        return reply, msg_id, seconds

    def open(self, cell_id: str, keyed: bool = True) -> Execution:
        """Run the opening cell as ``cell_id``; ``keyed`` also learns the tick key."""
        reply, msg_id, seconds = self.execute(self.cell, cell_id)
        return Execution(self.shown(reply, keyed), msg_id, seconds)

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        raise NotImplementedError

    def dispose(self, shown: Shown) -> str | None:
        """What the frontend's renderer does when the output goes; the msg id it sent."""
        return None

    def close_untimed(self, shown: Shown) -> None:
        """Close the app between samples, outside any measurement."""
        raise NotImplementedError

    def browse(self, shown: Shown) -> ViewClient:
        """Connect a browser to the output and pull the document, as BokehJS does."""
        raise NotImplementedError

    def watch(self, shown: Shown) -> None:
        """Start timing when the output's Bokeh server sessions are destroyed."""
        raise NotImplementedError


class OursSide(Side):
    """jupyter-sessions: ``open_session(Ticker())``; the cell binding closes it on re-run."""

    name = OURS
    setup = COMMON_SETUP + OURS_SETUP
    cell = "s = open_session(Ticker())"

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        for display in reply.displays:
            data = display["data"].get(MIME_TYPE)
            if data:
                view = data["view"]
                return Shown(data["session_id"], view["url"], view_id=view["view_id"])
        raise RuntimeError("the cell showed no session output")

    def close_untimed(self, shown: Shown) -> None:
        self.value("close_all()")

    def browse(self, shown: Shown) -> ViewClient:
        token = fetch_token(shown.app_url, shown.view_id)
        client = ViewClient.connect(shown.app_url, token)
        client.pull()
        return client

    def watch(self, shown: Shown) -> None:
        self.value(f"watch({shown.key!r}, {shown.view_id!r})")


class BokehSide(Side):
    """Bokeh: ``show(app)`` after ``output_notebook()``, jupyter_bokeh's renderer cleanup."""

    name = ANCHOR
    setup = COMMON_SETUP + BOKEH_SETUP
    cell = "show(ticking_app())"
    dispose_code = ""  # set from the installed jupyter_bokeh bundle

    def shown(self, reply: Reply, keyed: bool) -> Shown:
        for display in reply.displays:
            server_id = (display.get("metadata") or {}).get(BOKEH_EXEC_MIME, {}).get("server_id")
            if server_id:
                html = display["data"]["text/html"]
                match = re.search(r'"(http://[^"]+/autoload\.js\?[^"]*)"', html)
                if match is None:
                    raise RuntimeError("show(app)'s output has no autoload.js URL")
                autoload = match.group(1)
                app_url = autoload.split("/autoload.js", 1)[0]
                key = self.value("LAST_APP[0]") if keyed else None
                return Shown(key, app_url, autoload=autoload, server_id=server_id)
        raise RuntimeError("show(app) displayed no server output")

    def dispose(self, shown: Shown) -> str:
        # jupyter_bokeh: kernel.requestExecute({code}) with no metadata, not waited for.
        code = self.dispose_code.format(server_id=shown.server_id)
        return self.nb.send_execute(code, {})

    def close_untimed(self, shown: Shown) -> None:
        msg_id = self.dispose(shown)
        self.nb.collect(msg_id, TIMEOUT)

    def browse(self, shown: Shown) -> ViewClient:
        assert shown.autoload is not None
        with urllib.request.urlopen(shown.autoload, timeout=10) as response:
            js = response.read().decode()
        match = re.search(r'"token":"([^"]+)"', js)
        if match is None:
            raise RuntimeError("autoload.js carries no token")
        client = ViewClient.connect(shown.app_url, match.group(1), origin=DEFAULT_ORIGIN)
        client.pull()
        return client

    def watch(self, shown: Shown) -> None:
        self.value(f"watch({shown.key!r}, {shown.server_id!r})")


@contextlib.contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` (appending), so a child started now inherits it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def notebook(kind: type[Side], log: Path) -> Iterator[Side]:
    """A fresh kernel with ``kind``'s setup run outside any cell; shut down afterwards.

    The kernel's stderr (tornado's and Bokeh's tracebacks) goes to ``log``.
    """
    with stderr_to(log):
        nb = NotebookKernel()
    try:
        reply = nb.run(kind.setup, timeout=TIMEOUT)
        if reply.status != "ok":
            raise RuntimeError(f"kernel setup failed:\n{reply.traceback}")
        yield kind(nb)
    finally:
        nb.close()


def settle(side: Side, server_sessions: int, timeout: float = 5.0) -> None:
    """Wait until at most ``server_sessions`` Bokeh server sessions are alive in the kernel.

    jupyter-sessions discards closed views asynchronously, a few ms after the close
    (``bokeh_teardown``); Bokeh's destroy_server is synchronous, so there this returns
    at once.
    """
    wait_for(lambda: side.value("live_server_sessions()") <= server_sessions,
             timeout, interval=0.05)


def wait_ticks(side: Side, key: str | None, count: int = 2, timeout: float = 10.0) -> None:
    """Wait until app ``key`` has ticked ``count`` times in the kernel."""
    if not wait_for(lambda: len(side.value(f"TICKS.get({key!r}, [])")) >= count, timeout):
        raise RuntimeError(f"{key} did not tick {count} times within {timeout} s")


def close_quietly(client: ViewClient | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


def retire(client: ViewClient | None, wait: float) -> bool:
    """Drop the websocket of an output that went away, as the browser does.

    First read what is pending for up to ``wait`` s, answering a close frame as a
    browser would; True if the server had closed the websocket itself.
    """
    if client is None:
        return False
    try:
        closed = client.closed_by_server(wait)
    except Exception:
        closed = True
    close_quietly(client)
    return closed


def drain(client: ViewClient, limit: float = 2.0) -> None:
    """Read and discard what the server already sent (at most ``limit`` s)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and client.receive(0.01) is not None:
        pass


# -- the measurements ---------------------------------------------------------------


def measure_open_cost(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 1: a cell's round trip when it opens an app, minus an empty cell's.

    Fresh cell ids, empty and opening cells interleaved; the app is closed after
    each sample, untimed, and its server sessions are gone before the next one.
    Warm-up cells (imports, first server start) are dropped.
    """
    empty: list[float] = []
    opening: list[float] = []
    for i in range(plan.warmup + plan.open_cells):
        _, _, seconds = side.execute("pass", f"empty-{i}")
        run = side.open(f"open-{i}", keyed=False)
        side.close_untimed(run.shown)
        settle(side, 0)
        if i >= plan.warmup:
            empty.append(seconds)
            opening.append(run.seconds)
    base = median(empty)
    costs = [(s - base) * 1000 for s in opening]
    return {"empty_ms": base * 1000, "median_ms": median(costs), "p95_ms": percentile(costs, 0.95),
            "n": len(costs), "samples_ms": costs}


def measure_cleanup(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 2: from the re-run reaching the kernel to the old app's callbacks stopping.

    t0 is the in-kernel start (IPython pre_execute) of the first execution the
    re-run sends: the cell for jupyter-sessions, jupyter_bokeh's destroy_server
    code for Bokeh. "Stopped" is when the close finished (jupyter-sessions'
    registry "removed" event) or when destroy_server returned (Bokeh). Old ticks
    after that are counted; "destroyed" is when every Bokeh server session of the
    old output was destroyed (watcher thread in the kernel).
    """
    stop_ms: list[float] = []
    destroyed_ms: list[float] = []
    late_ticks = 0
    missing = 0
    server_closed = 0
    current = side.open("anim").shown
    client: ViewClient | None = side.browse(current)
    try:
        for _ in range(plan.cleanup_reps):
            wait_ticks(side, current.key)
            side.watch(current)
            dispose_msg = side.dispose(current)
            run = side.open("anim")
            server_closed += retire(client, wait=0.3)
            client = None
            first = dispose_msg or run.msg_id
            record = side.value(
                f"rerun_record({current.key!r}, {first!r}, stop_time({current.key!r}, "
                f"{dispose_msg!r}))"
            )
            destroyed = wait_for(lambda key=current.key: side.value(f"DESTROYED.get({key!r})"),
                                 timeout=10.0)
            t0, stopped = record["t0"], record["stopped"]
            if t0 is None or stopped is None:
                missing += 1
            else:
                stop_ms.append((stopped - t0) * 1000)
                late_ticks += sum(t > stopped for t in record["ticks"])
            if destroyed is not None and t0 is not None:
                destroyed_ms.append((destroyed - t0) * 1000)
            current = run.shown
            client = side.browse(current)
    finally:
        close_quietly(client)
        side.close_untimed(current)
    return {"stop_ms": stop_ms, "destroyed_ms": destroyed_ms, "late_ticks": late_ticks,
            "missing": missing, "server_closed": server_closed, "n": plan.cleanup_reps}


def measure_busy(side: Side, plan: Plan) -> dict[str, Any]:
    """Row 4: periodic callbacks while another cell runs ``time.sleep(2)``.

    Counts in-kernel ticks inside each busy cell's own start..end, and PATCH-DOC
    messages the browser receives during the 2 s after the busy cell was sent.
    """
    current = side.open("live").shown
    client = side.browse(current)
    try:
        wait_ticks(side, current.key)
        patches = 0
        for _ in range(plan.busy_reps):
            drain(client)
            msg_id = side.nb.send_execute(
                BUSY_CELL, {"recordTiming": False, "cellId": "busy", "deletedCells": []}
            )
            patches += client.count_patches(BUSY_SECONDS)
            reply = side.nb.collect(msg_id, TIMEOUT)
            if reply.status != "ok":
                raise RuntimeError(f"busy cell failed:\n{reply.traceback}")
        rows = side.value(f"busy_ticks({current.key!r})")
    finally:
        close_quietly(client)
        side.close_untimed(current)
    ticks = sum(count for count, _ in rows)
    nominal_ticks = sum(seconds for _, seconds in rows) / PERIOD
    nominal_patches = plan.busy_reps * BUSY_SECONDS / PERIOD
    return {"ticks": ticks, "nominal_ticks": nominal_ticks, "tick_pct": 100 * ticks / nominal_ticks,
            "patches": patches, "nominal_patches": nominal_patches,
            "patch_pct": 100 * patches / nominal_patches}


def snapshot(side: Side) -> dict[str, Any]:
    """What the kernel holds now (after gc.collect in the kernel), plus RSS and sockets."""
    held = side.value("holdings()")
    held["rss_mb"] = psutil.Process(side.nb.pid).memory_info().rss / 2**20
    held["listening"] = listening_sockets(side.nb.pid)
    return dict(held)


def settled_snapshot(side: Side) -> dict[str, Any]:
    """A snapshot once closed views are gone (jupyter-sessions discards them async)."""
    settle(side, 1)
    return snapshot(side)


def measure_reruns(side: Side, plan: Plan, cleanup: bool = True,
                   browse_every: int = BROWSE_EVERY) -> dict[str, Any]:
    """Row 3: re-run one cell ``plan.reruns`` times; what the kernel holds afterwards.

    The baseline is taken after the first ``plan.baseline_after`` re-runs, so imports
    and first-use allocations do not count as growth. A browser connects to every
    ``browse_every``-th output (0: never), including the ones just before the
    baseline and the last, and drops its websocket after the next re-run.
    """
    side.value("RECORD.__setitem__(0, False)")
    current: Shown | None = None
    client: ViewClient | None = None
    browsed_ms: list[float] = []
    unbrowsed_ms: list[float] = []
    seconds: list[float] = []
    baseline: dict[str, Any] = {}
    started = time.monotonic()
    done = 0
    try:
        for i in range(plan.reruns):
            if time.monotonic() - started > RERUN_CAP_S and i > plan.baseline_after:
                break
            done = i + 1
            if i == plan.baseline_after:
                baseline = settled_snapshot(side)
            if cleanup and current is not None:
                side.dispose(current)
            run = side.open("rerun-cell", keyed=False)
            seconds.append(run.seconds)
            if current is not None:
                (browsed_ms if client is not None else unbrowsed_ms).append(run.seconds * 1000)
            retire(client, wait=0.05)
            client = None
            current = run.shown
            if browse_every and ((i + 1) % browse_every == 0 or i + 1 == plan.reruns):
                client = side.browse(current)
        if client is None and browse_every:
            client = side.browse(current)  # stopped early: end as a browsed output too
        final = settled_snapshot(side)
    finally:
        close_quietly(client)
    window = min(100, len(seconds) // 2)
    return {
        "n": plan.reruns, "done": done, "baseline_after": plan.baseline_after,
        "browse_every": browse_every,
        "baseline": baseline, "final": final,
        "rss_growth_mb": final["rss_mb"] - baseline["rss_mb"],
        "browsed_ms": browsed_ms, "unbrowsed_ms": unbrowsed_ms,
        "first_ms": median(seconds[:window]) * 1000, "last_ms": median(seconds[-window:]) * 1000,
        "window": window, "wall_s": time.monotonic() - started,
    }


# -- running everything -------------------------------------------------------------


def attempt(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any] | NA:
    """``fn(*args)``, or NA with the error if it failed (the other side still runs)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        print(f"  ! {getattr(fn, '__name__', fn)} failed: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return NA(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def kernel_errors(logs: list[Path]) -> dict[str, int]:
    """Tracebacks in the kernels' stderr logs, counted by their exception line."""
    counts: dict[str, int] = {}
    for log in logs:
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        in_traceback = False
        for line in lines:
            if line.startswith("Traceback (most recent call last)"):
                in_traceback = True
            elif in_traceback and line and not line[0].isspace():
                counts[line[:120]] = counts.get(line[:120], 0) + 1
                in_traceback = False
    return counts


def run_side(kind: type[Side], plan: Plan) -> dict[str, Any]:
    """Every measurement for one side, each group in a fresh kernel."""
    slug = "ours" if kind is OursSide else "bokeh"
    logs: list[Path] = []

    def kernel(group: str) -> contextlib.AbstractContextManager[Side]:
        log = RESULTS.parent / f"kernel-{slug}-{group}.log"
        log.unlink(missing_ok=True)
        logs.append(log)
        return notebook(kind, log)

    results: dict[str, Any] = {}
    progress(f"{kind.name}: open cost, cleanup latency, busy cell")
    with kernel("rows-1-2-4") as side:
        results["open"] = attempt(measure_open_cost, side, plan)
        results["cleanup"] = attempt(measure_cleanup, side, plan)
        results["busy"] = attempt(measure_busy, side, plan)
    progress(f"{kind.name}: {plan.reruns} re-runs")
    with kernel("reruns") as side:
        results["reruns"] = attempt(measure_reruns, side, plan)
    if kind is BokehSide:
        progress(f"{kind.name}: {plan.reruns} re-runs without cleanup")
        with kernel("no-cleanup") as side:
            results["no_cleanup"] = attempt(measure_reruns, side, plan, cleanup=False,
                                            browse_every=0)
    results["kernel_errors"] = kernel_errors(logs)
    results["kernel_logs"] = [str(log.relative_to(ROOT)) for log in logs]
    return results


def machine() -> dict[str, Any]:
    """CPU, cores, RAM and the versions that matter."""
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return {
        "cpu": cpu, "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        **{name: version(name) for name in
           ("bokeh", "ipykernel", "jupyter_client", "jupyter_bokeh", "jupyter-sessions")},
    }


# -- the table ----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a value per side and, where there is one, a target."""

    metric: str
    ours: str
    anchor: str
    target: str = ""
    passed: dict[str, bool | None] = field(default_factory=dict)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else (" PASS" if ok else " FAIL")


def ms_pair(values: list[float]) -> str:
    return f"{median(values):.1f} / {percentile(values, 0.95):.1f}"


def cell_text(result: Any, render: Callable[[Any], str]) -> str:
    """``render(result)``, or n/a with the reason it could not be measured."""
    if isinstance(result, NA):
        return f"n/a ({result.reason})"
    try:
        text = render(result)
        if isinstance(result, dict) and result.get("done", result.get("n")) != result.get("n"):
            text += f" [time cap: only {result['done']} re-runs]"
        return text
    except (KeyError, ValueError, TypeError) as exc:
        return f"n/a ({type(exc).__name__}: {exc})"


def check(result: Any, test: Callable[[Any], bool]) -> bool | None:
    if isinstance(result, NA):
        return None
    try:
        return bool(test(result))
    except (KeyError, ValueError, TypeError):
        return None


def paired(metric: str, ours: Any, anchor: Any, render: Callable[[Any], str],
           target: str = "", test: Callable[[Any], bool] | None = None) -> Row:
    """A row rendering the same field of both sides, with a pass/fail if ``test``."""
    passed = {} if test is None else {OURS: check(ours, test), ANCHOR: check(anchor, test)}
    return Row(metric, cell_text(ours, render) + verdict(passed.get(OURS)),
               cell_text(anchor, render) + verdict(passed.get(ANCHOR)), target, passed)


def rows(ours: dict[str, Any], anchor: dict[str, Any], plan: Plan) -> list[Row]:
    n, base = plan.reruns, plan.baseline_after

    def open_cost(r: dict[str, Any]) -> str:
        return f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} (empty cell {r['empty_ms']:.1f})"

    def stopped(r: dict[str, Any]) -> str:
        if not r["stop_ms"]:
            return f"n/a (no stop time recorded in {r['n']} re-runs)"
        return ms_pair(r["stop_ms"]) + (f" ({r['missing']} missing)" if r["missing"] else "")

    def destroyed(r: dict[str, Any]) -> str:
        if not r["destroyed_ms"]:
            return "n/a (sessions not destroyed within 10 s)"
        lost = r["n"] - len(r["destroyed_ms"])
        return ms_pair(r["destroyed_ms"]) + (f" ({lost} not within 10 s)" if lost else "")

    def closed_by_server(r: dict[str, Any]) -> str:
        return f"{r['server_closed']} of {r['n']}"

    def round_trip(key: str) -> Callable[[dict[str, Any]], str]:
        def render(r: dict[str, Any]) -> str:
            values = r[key]
            if not values:
                return "n/a (none)"
            return f"{ms_pair(values)} / {sum(values) / len(values):.1f} (n={len(values)})"

        return render

    def errors(counts: dict[str, int]) -> str:
        if not counts:
            return "0"
        top = sorted(counts.items(), key=lambda kv: -kv[1])
        return f"{sum(counts.values())}: " + "; ".join(f"{n}x `{line}`" for line, n in top)

    def held(field_name: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: f"{r['baseline'][field_name]} -> {r['final'][field_name]}"

    def no_cleanup(r: dict[str, Any]) -> str:
        f, b = r["final"], r["baseline"]
        return (f"{f['servers']} servers, {f['listening']} listening sockets "
                f"({b['listening']} after {base}), {f['threads']} threads, "
                f"RSS +{r['rss_growth_mb']:.1f} MB, re-run {r['first_ms']:.0f} -> "
                f"{r['last_ms']:.0f} ms")

    def constant(field_name: str) -> Callable[[dict[str, Any]], bool]:
        return lambda r: r["final"][field_name] == r["baseline"][field_name]

    o, a = ours, anchor
    return [
        paired("1. Kernel-side cost of opening, median / p95 (ms over the empty cell)",
               o["open"], a["open"], open_cost),
        paired("2. Cleanup latency, re-run reached kernel -> old callbacks stopped, "
               "p50 / p95 (ms)", o["cleanup"], a["cleanup"], stopped),
        paired("2. Old app's periodic-callback ticks after it was stopped (all re-runs)",
               o["cleanup"], a["cleanup"], lambda r: f"{r['late_ticks']} in {r['n']} re-runs",
               "0", lambda r: r["late_ticks"] == 0 and r["stop_ms"]),
        paired("2. Server sessions destroyed, re-run reached kernel -> destroyed, "
               "p50 / p95 (ms)", o["cleanup"], a["cleanup"], destroyed),
        paired("2. Old output's websocket closed by the server on re-run",
               o["cleanup"], a["cleanup"], closed_by_server),
        paired(f"3. Live sessions after {n} re-runs", o["reruns"], a["reruns"],
               lambda r: str(r["final"]["sessions"]), "exactly 1",
               lambda r: r["final"]["sessions"] == 1),
        paired(f"3. Bokeh servers after {n} re-runs", o["reruns"], a["reruns"],
               lambda r: str(r["final"]["servers"]), "exactly 1",
               lambda r: r["final"]["servers"] == 1),
        paired(f"3. Threads, after {base} -> after {n} re-runs", o["reruns"], a["reruns"],
               held("threads"), "constant", constant("threads")),
        paired(f"3. Listening TCP sockets of the kernel, after {base} -> after {n}",
               o["reruns"], a["reruns"], held("listening"), "constant", constant("listening")),
        paired(f"3. RSS growth from re-run {base} to {n} (MB, after gc.collect)",
               o["reruns"], a["reruns"], lambda r: f"{r['rss_growth_mb']:+.1f}", "< 10 MB",
               lambda r: r["rss_growth_mb"] < 10),
        paired(f"3. Open comms (ipywidgets) in the kernel, after {base} -> after {n}",
               o["reruns"], a["reruns"], held("comms"), "constant", constant("comms")),
        paired("3. Re-run round trip incl. cleanup, p50 / p95 / mean (ms), old output HAD "
               "a browser", o["reruns"], a["reruns"], round_trip("browsed_ms")),
        paired("3. Re-run round trip incl. cleanup, p50 / p95 / mean (ms), old output had NO "
               "browser", o["reruns"], a["reruns"], round_trip("unbrowsed_ms")),
        paired("3. Re-run round trip, median of first / last 100 re-runs (ms; drift)",
               o["reruns"], a["reruns"],
               lambda r: f"{r['first_ms']:.1f} / {r['last_ms']:.1f}"),
        Row(f"3. Same {n} re-runs WITHOUT cleanup (plain show(app), no browser)",
            "n/a (not applicable: the cell binding always closes the old session)",
            cell_text(a.get("no_cleanup", NA("not run")), no_cleanup)),
        paired("4. Periodic-callback ticks during a busy cell (sleep 2 s), % of nominal",
               o["busy"], a["busy"],
               lambda r: f"{r['tick_pct']:.0f} % ({r['ticks']}/{r['nominal_ticks']:.0f})",
               ">= 95 %", lambda r: r["tick_pct"] >= 95),
        paired("4. PATCH-DOC messages the browser got during the busy cell, % of nominal",
               o["busy"], a["busy"],
               lambda r: f"{r['patch_pct']:.0f} % ({r['patches']}/{r['nominal_patches']:.0f})",
               ">= 95 %", lambda r: r["patch_pct"] >= 95),
        Row("Tracebacks in the kernels' stderr during this benchmark",
            errors(o["kernel_errors"]), errors(a["kernel_errors"])),
    ]


def notes(plan: Plan, dispose_code: str) -> list[str]:
    return [
        "Both sides run in real ipykernel kernels driven by jupyter_client as JupyterLab 4 "
        "does (execute_request metadata: cellId, deletedCells, recordTiming). A websocket "
        "client plays the browser (autoload.js, websocket with Origin "
        f"{DEFAULT_ORIGIN}, PULL-DOC) for every output.",
        "Bokeh anchor: output_notebook(hide_banner=True) once, then show(app) with a "
        "FunctionHandler app ticking every 0.25 s. jupyter_bokeh's cleanup is EMULATED: "
        "its JupyterLab renderer's dispose() runs "
        f"`{dispose_code.format(server_id='<server_id>')}` in the kernel; JupyterLab clears "
        "the cell's outputs before sending the re-run, so the harness sends that code (no "
        "cellId, not awaited) just before the re-run's execute_request.",
        "jupyter-sessions closes the old session in its pre_run_cell hook (the JupyterLab "
        "extension is not used here). After the re-run's reply the browser reads the old "
        "output's websocket briefly (answering a close frame, as a browser does), then "
        "closes it, for both sides.",
        f"Row 1: {plan.open_cells} cells after {plan.warmup} warm-up cells, each in a new "
        "cell, interleaved with empty cells; the app is closed untimed between samples and "
        "its server sessions are gone before the next sample. "
        "Bokeh builds its document only when a browser connects (later, on the kernel's "
        "loop); jupyter-sessions builds the first view inside the cell.",
        f"Row 2: {plan.cleanup_reps} re-runs, each once the old app ticked twice. t0 = "
        "in-kernel start (pre_execute) of the re-run's first execution. Stopped = "
        "jupyter-sessions' registry 'removed' event, or destroy_server returning. Destroyed = "
        "a kernel watcher thread saw every old Bokeh server session destroyed "
        "(jupyter-sessions discards them a few ms after the close: bokeh_teardown.py).",
        f"Row 3: {plan.reruns} re-runs of one cell; a browser connects to every "
        f"{BROWSE_EVERY}th output (every one would not fit the time budget: each connection "
        "builds and later destroys a Bokeh document, and Bokeh's Document.destroy runs a "
        f"full gc.collect()); baseline after re-run {plan.baseline_after}; RSS and LISTEN "
        "sockets via psutil on the kernel pid after gc.collect() in the kernel; tick logging "
        "off. Bokeh's show(app) builds no document for an output no browser loaded, and each "
        "of its servers listens on 0.0.0.0 and :: (two sockets); "
        "jupyter-sessions builds the first view in the cell. The no-cleanup run connects no "
        "browser (each of its sessions would keep ticking on the kernel loop).",
        f"Row 4: {plan.busy_reps} busy cells of time.sleep({BUSY_SECONDS:g}) in another cell, "
        f"period {PERIOD} s. Ticks counted in-kernel inside each busy cell; PATCH-DOC counted "
        f"by the browser during {BUSY_SECONDS:g} s after each busy cell was sent.",
        "The machine runs other work at the same time: timings are noisy. Kernel stderr "
        "logs: benchmarks/results/kernel-*.log.",
    ]


def markdown(table: list[Row]) -> str:
    lines = [f"| Metric | {OURS} | {ANCHOR} | Target |", "|---|---|---|---|"]
    lines += [f"| {r.metric} | {r.ours} | {r.anchor} | {r.target} |" for r in table]
    return "\n".join(lines)


def to_json(value: Any) -> Any:
    if isinstance(value, NA):
        return {"n/a": value.reason}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer samples and 200 re-runs instead of 1000 (~90 s)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    BokehSide.dispose_code = jupyter_bokeh_dispose_code()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    info = machine()
    ours = run_side(OursSide, plan)
    anchor = run_side(BokehSide, plan)
    table = rows(ours, anchor, plan)
    elapsed = time.monotonic() - started
    mode = "quick" if args.quick else "full"
    print(f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
          f"Python {info['python']}, bokeh {info['bokeh']}, ipykernel {info['ipykernel']}, "
          f"jupyter_client {info['jupyter_client']}, jupyter_bokeh {info['jupyter_bokeh']}, "
          f"jupyter-sessions {info['jupyter-sessions']}")
    print(f"Mode: {mode}; run took {elapsed:.0f} s\n")
    print(markdown(table))
    print("\nNotes:")
    for note in notes(plan, BokehSide.dispose_code):
        print(f"- {note}")
    RESULTS.write_text(json.dumps({
        "machine": info, "mode": mode, "plan": asdict(plan), "seconds": round(elapsed, 1),
        "table": [asdict(r) for r in table], "notes": notes(plan, BokehSide.dispose_code),
        "raw": {OURS: to_json(ours), ANCHOR: to_json(anchor)},
    }, indent=2))
    print(f"\nWrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
