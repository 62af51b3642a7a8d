"""Cleanup latency in a real browser: clear a cell's output -> its Bokeh server sessions gone.

Run from the repository root (needs the bench extra: ``pip install -e ".[bench]"``)::

    .venv/bin/python benchmarks/bench_browser.py [--quick]

One run starts a real JupyterLab (``tests/jupyterlab.py``) with this project's
labextension and jupyter_bokeh's, opens two notebooks in Debian's Chromium under
Playwright (``tests/notebook_page.py``), one per side, and takes turns:

- **jupyter-sessions**: ``open_session(MySession())``, a BokehSession subclass
  with a periodic callback (0.25 s).
- **the anchor**, what a Bokeh user has today: ``output_notebook()`` then
  ``show(app)``, an app function with the same plot and periodic callback, in
  JupyterLab with jupyter_bokeh, whose renderer runs ``destroy_server(...)`` as
  code in the kernel when the output goes away.

Each repetition runs the plot cell, waits until the plot renders in the page and
the kernel holds exactly one live Bokeh server session with the browser's
websocket attached, then clears the cell's output with JupyterLab's
``notebook:clear-cell-output`` command, as a user would. The latency runs from
the page's ``Date.now()`` just before that command to the moment the kernel
itself records that the last of those server sessions was destroyed:
``ServerSession.destroy`` is wrapped in the kernel (the real one runs) to stamp
``time.time()`` when it returns, the moment the kernel's count of live server
sessions drops. Both clocks are the same machine's wall clock. The same is done
while ANOTHER cell of the notebook is busy (``time.sleep``). A side whose
sessions are not destroyed within the cap is recorded as "> cap" (and when they
finally went, after the busy cell, is reported too).

Prints the machine and a Markdown table; writes the same as JSON to
``benchmarks/results/browser.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", category=DeprecationWarning)

from bench_bokeh import jupyter_bokeh_dispose_code, machine  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from timing import percentile, wait_for  # noqa: E402

from tests.jupyterlab import CHROMIUM, CHROMIUM_ARGS, JupyterLab  # noqa: E402
from tests.notebook_kernel import NotebookKernel  # noqa: E402
from tests.notebook_page import NotebookPage  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "browser.json"
OURS = "jupyter-sessions"
ANCHOR = "bokeh show(app) + jupyter_bokeh"
SETUP, PLOT, BUSY = 0, 1, 2  # cell indices in both notebooks
TARGET_MS = 100.0
# Two tabs take turns: keep Chromium from throttling the one in the background.
BROWSER_ARGS = [*CHROMIUM_ARGS, "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]


@dataclass(frozen=True)
class Plan:
    """How many repetitions, and the time limits."""

    reps: int  # per side and per condition (idle, busy)
    warmup: int = 1  # per side and condition, not counted (first BokehJS load, imports)
    cap_s: float = 5.0  # slower than this is recorded as "> cap"
    busy_s: float = 6.0  # the busy cell's sleep: longer than the cap, so it covers it


FULL = Plan(reps=20)
QUICK = Plan(reps=5)


# -- the notebooks ------------------------------------------------------------------

PLOT_SETUP = """\
import time
import numpy as np
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

x = np.arange(100)

def new_plot():
    source = ColumnDataSource(data=dict(x=x, y=np.random.rand(len(x))))
    plot = figure(height=250, width=500)
    plot.line("x", "y", source=source)
    return plot, source
"""

OURS_SETUP = PLOT_SETUP + """
from jupyter_sessions import BokehSession, open_session

class MySession(BokehSession):
    callback_period = 0.25

    def setup_model(self):
        plot, self.source = new_plot()
        return plot

    def periodic_callback(self):
        self.source.data.update(y=np.random.rand(len(x)))
"""

# INLINE: the default CDN resources leave the plot blank on a machine with no internet.
ANCHOR_SETUP = PLOT_SETUP + """
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE
output_notebook(INLINE, hide_banner=True)

def app(doc):
    plot, source = new_plot()
    doc.add_root(plot)
    doc.add_periodic_callback(lambda: source.data.update(y=np.random.rand(len(x))), 250)
"""

# The busy cell stamps when it really started computing, so the harness clears the
# plot only once the kernel is busy (not merely once the page sent the request).
BUSY_CELL = "BUSY_STARTED = time.time(); time.sleep({seconds}); BUSY_ENDED = time.time()"


# -- instrumentation the harness runs in each kernel (outside any cell) ---------------

INSTRUMENT = """
import collections as _collections, gc as _gc, threading as _th, time as _time
from bokeh.server.session import ServerSession as _ServerSession

BENCH_DESTROYED = {}  # server session id -> (destroy() began, destroy() returned), time.time()
BENCH_MARKS = {}      # "heard" / "closed" -> time.time(), reset by the harness each repetition
_bench_cond = _th.Condition()

# Wrapped, not replaced: the real destroy runs; its end is when the count of live
# server sessions drops (Bokeh removes the session right after it returns).
if not hasattr(_ServerSession, "_bench_destroy"):
    _ServerSession._bench_destroy = _ServerSession.destroy

    def _stamped_destroy(self):
        began = _time.time()
        try:
            self._bench_destroy()
        finally:
            with _bench_cond:
                BENCH_DESTROYED[self.id] = (began, _time.time())
                _bench_cond.notify_all()

    _ServerSession.destroy = _stamped_destroy

def bench_wait(ids, deadline):
    # Block until every one of ids was destroyed or time.time() passes deadline.
    with _bench_cond:
        while not all(i in BENCH_DESTROYED for i in ids):
            left = deadline - _time.time()
            if left <= 0:
                break
            _bench_cond.wait(left)
        return {i: BENCH_DESTROYED.get(i) for i in ids}

def bench_mark(name):
    BENCH_MARKS.setdefault(name, _time.time())

# Full (generation 2) collections in the kernel: they hold the GIL, delaying everything.
BENCH_FULL_GC = _collections.deque(maxlen=1000)  # (start, end), time.time()

def _bench_gc(phase, info):
    if info["generation"] != 2:
        return
    if phase == "start":
        BENCH_FULL_GC.append([_time.time(), None])
    elif BENCH_FULL_GC and BENCH_FULL_GC[-1][1] is None:
        BENCH_FULL_GC[-1][1] = _time.time()

if _bench_gc not in _gc.callbacks:
    _gc.callbacks.append(_bench_gc)

def bench_full_gc(since, until):
    # Milliseconds of full collections that overlapped [since, until].
    spans = [(s, e) for s, e in list(BENCH_FULL_GC) if e is not None and e > since and s < until]
    return sum((min(e, until) - max(s, since)) * 1000 for s, e in spans)
"""

# jupyter-sessions: the kernel heard it when the session began closing (TERMINATING),
# and had closed it (callbacks stopped, views asked to go) at "removed".
OURS_INSTRUMENT = INSTRUMENT + """
from jupyter_sessions import kernel as _kernel

def _bench_event(event):
    if event.kind == "state" and event.state.value == "TERMINATING":
        bench_mark("heard")
    elif event.kind == "removed":
        bench_mark("closed")

_kernel.registry().subscribe(_bench_event)

def bench_live():
    server = _kernel.running_bokeh_server()
    if server is None:
        return []
    return server.call(lambda: [[s.id, s.connection_count] for s in server.view_sessions()
                                if not s.destroyed])
"""

# The anchor: the kernel heard it when jupyter_bokeh's destroy_server code started.
ANCHOR_INSTRUMENT = INSTRUMENT + """
from bokeh.io.state import curstate as _curstate

def _bench_pre_run(info):
    if "destroy_server(" in (info.raw_cell or ""):
        bench_mark("heard")

get_ipython().events.register("pre_run_cell", _bench_pre_run)

def bench_live():
    servers = list(_curstate().uuid_to_server.values())
    return [[s.id, s.connection_count] for server in servers for s in server.get_sessions()
            if not s.destroyed]
"""

# Select the plot cell, stamp the time and clear its output, all in one page task.
CLEAR = """(index) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = index;
    const t = Date.now();
    void window.jupyterapp.commands.execute("notebook:clear-cell-output");
    return t;
}"""


# -- one side ------------------------------------------------------------------------


@dataclass
class Sample:
    """One repetition: milliseconds from the clear, or None where it did not happen."""

    destroyed_ms: float | None  # within the cap; None: "> cap"
    eventually_ms: float | None  # when it did happen (after the busy cell, for "> cap")
    heard_ms: float | None  # the kernel heard of the clear
    closed_ms: float | None  # jupyter-sessions: close() finished
    destroy_began_ms: float | None  # Bokeh's ServerSession.destroy began (last session)
    destroy_took_ms: float | None  # and took this long (Document.destroy's gc.collect)
    busy_ended_ms: float | None = None  # the busy cell's sleep ended (busy condition only)
    full_gc_ms: float = 0.0  # full gc collections in the kernel between clear and destroyed


class Side:
    """One notebook open in its own tab, and a second client on its kernel."""

    def __init__(self, name: str, slug: str, setup: str, plot_cell: str, instrument: str,
                 lab: JupyterLab, browser: Browser, plan: Plan) -> None:
        self.name = name
        self.plan = plan
        notebook = f"bench-{slug}.ipynb"
        busy = BUSY_CELL.format(seconds=plan.busy_s)
        lab.write_notebook(notebook, [setup, plot_cell, busy])
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.page = NotebookPage(context.new_page(), lab.notebook_url(notebook))
        self.kernel: NotebookKernel = lab.kernel_of(notebook)
        # Questions go to a subshell: they answer while a cell computes, and they never
        # queue in front of what the page sends to the main shell.
        self.subshell = self.kernel.create_subshell()
        self.run_now(instrument)
        self.page.run_cell(SETUP, timeout=60)

    def run_now(self, code: str, timeout: float = 30.0) -> None:
        """Run ``code`` on the subshell (outside any cell); raise if it failed."""
        reply = self.kernel.collect(self.kernel.send_execute(code, {}, self.subshell), timeout)
        if reply.status != "ok":
            raise RuntimeError(f"{self.name}: kernel code failed:\n{reply.traceback}")

    def ask(self, expr: str, timeout: float = 10.0) -> Any:
        return self.kernel.value_now(expr, self.subshell, timeout=timeout)

    def live(self) -> list[list[Any]]:
        """[server session id, connections] of every live Bokeh server session."""
        return list(self.ask("bench_live()"))

    def show_plot(self) -> list[str]:
        """Run the plot cell; once it renders live, the ids of its server sessions."""
        self.page.page.bring_to_front()
        self.page.run_cell(PLOT, timeout=60)
        self.page.wait_for_plot(PLOT, timeout=30)

        def attached() -> list[str]:
            live = self.live()
            return [live[0][0]] if len(live) == 1 and live[0][1] >= 1 else []

        ids = wait_for(attached, timeout=10)
        if not ids:
            raise RuntimeError(f"{self.name}: no live server session with a browser attached: "
                               f"{self.live()}")
        return list(ids)

    def start_busy_cell(self) -> None:
        """Run the busy cell and return once the kernel is inside its sleep."""
        sent = time.time()
        self.page.run_cell(BUSY, wait=False)
        started = wait_for(lambda: self.ask("globals().get('BUSY_STARTED', 0)") > sent,
                           timeout=10, interval=0.02)
        if not started:
            raise RuntimeError(f"{self.name}: the busy cell did not start within 10 s")

    def wait_busy_cell_ended(self) -> None:
        """Wait until the busy cell has ended, in the kernel and in the page.

        Asked of the kernel, not read from the page's kernel status: subshells flip it.
        The anchor's destroy_server code, queued behind the busy cell, runs then.
        """
        ended = "globals().get('BUSY_ENDED', 0) >= BUSY_STARTED"
        if not wait_for(lambda: self.ask(ended), timeout=self.plan.busy_s + 30, interval=0.1):
            raise RuntimeError(f"{self.name}: the busy cell did not end")
        if not wait_for(lambda: not self.page.cell_running(BUSY), timeout=30):
            raise RuntimeError(f"{self.name}: the page still shows the busy cell running")

    def measure(self, busy: bool) -> Sample:
        """One repetition: show, (busy,) clear, wait for the destruction."""
        ids = self.show_plot()
        if busy:
            self.start_busy_cell()
        self.ask("BENCH_MARKS.clear()")
        t_clear = self.page.page.evaluate(CLEAR, PLOT) / 1000
        within = self.ask(f"bench_wait({ids!r}, {t_clear + self.plan.cap_s})",
                          timeout=self.plan.cap_s + 10)
        times = within
        if busy:
            self.wait_busy_cell_ended()
        if not all(within.values()):
            times = self.ask(f"bench_wait({ids!r}, {time.time() + 30})", timeout=40)
        marks = self.ask("BENCH_MARKS")
        if wait_for(lambda: not self.live(), timeout=30) is None:
            raise RuntimeError(f"{self.name}: server sessions still live 30 s after the clear")
        result = sample(t_clear, within, times, marks)
        if result.eventually_ms is not None:
            until = t_clear + result.eventually_ms / 1000
            result.full_gc_ms = self.ask(f"bench_full_gc({t_clear}, {until})")
        if busy:
            result.busy_ended_ms = (self.ask("BUSY_ENDED") - t_clear) * 1000
        return result

    def close(self) -> None:
        self.kernel.close()
        self.page.page.context.close()


def sample(t_clear: float, within: dict[str, Any], times: dict[str, Any],
           marks: dict[str, float]) -> Sample:
    """Milliseconds from ``t_clear`` of everything the kernel stamped."""

    def ms(t: float | None) -> float | None:
        return None if t is None else (t - t_clear) * 1000

    stamps = [tuple(v) for v in times.values() if v]
    last = max(stamps, key=lambda s: s[1]) if len(stamps) == len(times) else None
    done = last[1] if last else None
    return Sample(
        destroyed_ms=ms(done) if all(within.values()) else None,
        eventually_ms=ms(done),
        heard_ms=ms(marks.get("heard")),
        closed_ms=ms(marks.get("closed")),
        destroy_began_ms=ms(last[0]) if last else None,
        destroy_took_ms=(last[1] - last[0]) * 1000 if last else None,
    )


# -- running it ----------------------------------------------------------------------


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(plan: Plan) -> dict[str, Any]:
    """Both sides in one JupyterLab and one Chromium, taking turns; raw samples per side."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        lab = JupyterLab(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
                sides = [
                    Side(OURS, "ours", OURS_SETUP, "s1 = open_session(MySession())",
                         OURS_INSTRUMENT, lab, browser, plan),
                    # show(app) allows websockets from notebook_url only (default
                    # localhost:8888): a user on another port must name theirs.
                    Side(ANCHOR, "bokeh", ANCHOR_SETUP,
                         f'show(app, notebook_url="localhost:{lab.port}")',
                         ANCHOR_INSTRUMENT, lab, browser, plan),
                ]
                for side in sides:
                    results[side.name] = {"idle": [], "busy": [], "errors": []}
                # Taking turns, so both sides see the same machine load.
                for condition in ("idle", "busy"):
                    for rep in range(plan.warmup + plan.reps):
                        progress(f"{condition} {rep + 1 - plan.warmup}/{plan.reps}"
                                 + (" (warm-up)" if rep < plan.warmup else ""))
                        for side in sides:
                            try:
                                measured = side.measure(busy=condition == "busy")
                            except Exception as exc:
                                progress(f"  ! {side.name}: {type(exc).__name__}: {exc}")
                                results[side.name]["errors"].append(
                                    f"{condition}: {type(exc).__name__}: {exc}")
                                continue
                            if rep >= plan.warmup:
                                results[side.name][condition].append(asdict(measured))
                for side in sides:
                    side.close()
                browser.close()
        finally:
            lab.stop()
    return results


# -- the table -----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a value per side and, where there is one, a target."""

    metric: str
    ours: str
    anchor: str
    target: str = ""
    passed: dict[str, bool] = field(default_factory=dict)


def ms(value: float, cap_ms: float) -> str:
    return f"> {cap_ms:.0f}" if value > cap_ms else f"{value:.1f}"


def latency(samples: list[dict[str, Any]], plan: Plan) -> tuple[str, bool | None]:
    """"p50 / p95 / max (n=...)", a "> cap" sample counting as slower than any other."""
    if not samples:
        return "n/a (no samples)", None
    cap_ms = plan.cap_s * 1000
    values = [s["destroyed_ms"] if s["destroyed_ms"] is not None else float("inf")
              for s in samples]
    p95 = percentile(values, 0.95)
    text = " / ".join(ms(v, cap_ms) for v in (percentile(values, 0.5), p95, max(values)))
    text += f" (n={len(values)})"
    late = [s["eventually_ms"] for s in samples if s["destroyed_ms"] is None]
    if late:
        text += f"; {len(late)} of {len(values)} not destroyed within the {plan.cap_s:g} s cap"
        went = [v for v in late if v is not None]
        if went:
            text += f", they went {min(went):.0f} to {max(went):.0f} ms after the clear"
            if all(s.get("busy_ended_ms") is not None and s["eventually_ms"] is not None
                   and s["eventually_ms"] >= s["busy_ended_ms"]
                   for s in samples if s["destroyed_ms"] is None):
                text += ", only once the busy cell had ended"
    return text, p95 < TARGET_MS


def during_busy(samples: list[dict[str, Any]]) -> str:
    """How many were destroyed before the busy cell ended."""
    counted = [s for s in samples if s.get("busy_ended_ms") is not None]
    early = sum(s["eventually_ms"] is not None and s["eventually_ms"] < s["busy_ended_ms"]
                for s in counted)
    return f"{early} of {len(counted)}"


def breakdown(samples: list[dict[str, Any]]) -> str:
    """Medians of where the time went, from the clear."""

    def med(key: str) -> str:
        values = [s[key] for s in samples if s.get(key) is not None]
        return f"{percentile(values, 0.5):.1f}" if values else "-"

    with_gc = sum(s["full_gc_ms"] > 0 for s in samples)
    return (f"heard {med('heard_ms')} / closed {med('closed_ms')} / destroy began "
            f"{med('destroy_began_ms')} / destroyed {med('eventually_ms')}; destroy() took "
            f"{med('destroy_took_ms')}; a full gc.collect ran in the kernel meanwhile in "
            f"{with_gc} of {len(samples)}")


def rows(results: dict[str, Any], plan: Plan) -> list[Row]:
    o, a = results[OURS], results[ANCHOR]
    table = []
    for condition, label in (("idle", "idle kernel"),
                             ("busy", f"while another cell is busy (time.sleep({plan.busy_s:g}))")):
        (ot, op), (at, ap) = latency(o[condition], plan), latency(a[condition], plan)
        passed = {k: v for k, v in ((OURS, op), (ANCHOR, ap)) if v is not None}

        def verdict(ok: bool | None) -> str:
            return "" if ok is None else (" PASS" if ok else " FAIL")

        table.append(Row(f"Clear output -> server sessions destroyed, {label}: "
                         "p50 / p95 / max (ms)", ot + verdict(op), at + verdict(ap),
                         f"p95 < {TARGET_MS:.0f} ms", passed))
        if condition == "busy":
            table.append(Row("Destroyed before the busy cell ended", during_busy(o["busy"]),
                             during_busy(a["busy"]), "all"))
        table.append(Row(f"Where the time went, {label}: medians, ms after the clear",
                         breakdown(o[condition]), breakdown(a[condition])))
    errors = (len(o["errors"]), len(a["errors"]))
    table.append(Row("Repetitions that failed (see JSON)", str(errors[0]), str(errors[1]), "0"))
    return table


def notes(plan: Plan, dispose_code: str) -> list[str]:
    return [
        "One JupyterLab (this project's labextension and jupyter_bokeh's enabled), one "
        "Debian Chromium under Playwright, one notebook per side in its own tab; the sides "
        f"take turns, {plan.reps} repetitions each per condition after {plan.warmup} "
        "warm-up.",
        "Each repetition runs the plot cell, waits for the rendered plot and for exactly one "
        "live Bokeh server session with the page's websocket attached, then runs "
        "JupyterLab's notebook:clear-cell-output on it. t0 = the page's Date.now() just "
        "before the command; destroyed = time.time() in the kernel when the last of those "
        "server sessions' ServerSession.destroy() returned (wrapped by the harness; the "
        "kernel's count of live server sessions drops right after).",
        "jupyter-sessions: open_session(MySession()), callback every 0.25 s; the labextension "
        "tells the kernel over a comm (on a subshell while a cell computes). heard = the "
        "session began closing (TERMINATING), closed = close() finished.",
        "Anchor: output_notebook(INLINE) (the default CDN resources leave the plot blank "
        "offline), then show(app, notebook_url=...) with a FunctionHandler app whose periodic "
        f"callback runs every 0.25 s. jupyter_bokeh's renderer dispose() runs "
        f"`{dispose_code.format(server_id='<server_id>')}` as an execute request; heard = "
        "that code started (pre_run_cell).",
        "Where the time went: medians over the repetitions, each from the clear; \"a full "
        "gc.collect ran meanwhile\" counts repetitions during which a generation-2 collection "
        "(gc.callbacks) ran in the kernel between the clear and the destruction: it holds "
        "the GIL, so it delays everything in the kernel.",
        f"Busy: another cell of the same notebook runs time.sleep({plan.busy_s:g}); the "
        "output is cleared once the kernel is inside the sleep. Not destroyed within "
        f"{plan.cap_s:g} s counts as \"> {plan.cap_s * 1000:.0f}\" (slower than any other sample "
        "in the percentiles).",
        "The machine runs other work at the same time: timings are noisy.",
    ]


def markdown(table: list[Row]) -> str:
    lines = [f"| Metric | {OURS} | {ANCHOR} | Target |", "|---|---|---|---|"]
    lines += [f"| {r.metric} | {r.ours} | {r.anchor} | {r.target} |" for r in table]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK.reps} repetitions per side and condition "
                             f"instead of {FULL.reps} (~2 min)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is missing: make setup installs Debian's chromium")
    dispose_code = jupyter_bokeh_dispose_code()  # exits if jupyter_bokeh is missing
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    load = os.getloadavg()
    started = time.monotonic()
    results = run(plan)
    elapsed = time.monotonic() - started
    table = rows(results, plan)
    mode = "quick" if args.quick else "full"
    load_after = os.getloadavg()
    print(f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
          f"Python {info['python']}, bokeh {info['bokeh']}, ipykernel {info['ipykernel']}, "
          f"jupyter_client {info['jupyter_client']}, jupyter_bokeh {info['jupyter_bokeh']}, "
          f"jupyter-sessions {info['jupyter-sessions']}")
    print(f"Mode: {mode}; run took {elapsed:.0f} s; load average (1 min) "
          f"{load[0]:.1f} before, {load_after[0]:.1f} after\n")
    print(markdown(table))
    print("\nNotes:")
    for note in notes(plan, dispose_code):
        print(f"- {note}")
    RESULTS.write_text(json.dumps({
        "machine": info, "mode": mode, "plan": asdict(plan), "seconds": round(elapsed, 1),
        "load_average": {"before": load, "after": load_after},
        "table": [asdict(r) for r in table], "notes": notes(plan, dispose_code),
        "raw": results,
    }, indent=2))
    print(f"\nWrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
