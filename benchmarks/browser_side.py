"""bench_browser's side: one notebook in its own Chromium tab, and a probe in its kernel.

The notebook's cells are what a user of each side writes (``OURS_SETUP``,
``ANCHOR_SETUP``, a plot cell, a busy cell). The harness loads ``kernel_side``'s
``destroys`` (as ``bench``) and the side's module (``ours`` or ``anchor``, as
``side``) into the kernel and asks them on a subshell, so the questions answer
while a cell computes. Imported by ``bench_browser.py``, which puts the
repository root on ``sys.path`` for ``tests``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kernel_side import import_code
from playwright.sync_api import Browser
from timing import first_truthy

from tests.support.jupyterlab import JupyterLab
from tests.support.notebook_kernel import NotebookKernel
from tests.support.notebook_page import NotebookPage

SETUP, PLOT, BUSY = 0, 1, 2  # cell indices in both notebooks


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

OURS_SETUP = (
    PLOT_SETUP
    + """
from jupyter_sessions import BokehSession, open_session

class MySession(BokehSession):
    callback_period = 0.25

    def setup_model(self):
        plot, self.source = new_plot()
        return plot

    def periodic_callback(self):
        self.source.data.update(y=np.random.rand(len(x)))
"""
)

# INLINE: the default CDN resources leave the plot blank on a machine with no internet.
ANCHOR_SETUP = (
    PLOT_SETUP
    + """
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE
output_notebook(INLINE, hide_banner=True)

def app(doc):
    plot, source = new_plot()
    doc.add_root(plot)
    doc.add_periodic_callback(lambda: source.data.update(y=np.random.rand(len(x))), 250)
"""
)

# The busy cell stamps when it really started computing, so the harness clears the
# plot only once the kernel is busy (not merely once the page sent the request).
BUSY_CELL = "BUSY_STARTED = time.time(); time.sleep({seconds}); BUSY_ENDED = time.time()"


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

    def __init__(
        self,
        name: str,
        slug: str,
        setup: str,
        plot_cell: str,
        probe: str,
        lab: JupyterLab,
        browser: Browser,
        plan: Plan,
    ) -> None:
        """Open notebook ``bench-{slug}.ipynb`` with these cells; ``probe`` is the side's
        ``kernel_side`` module ("ours" or "anchor")."""
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
        self.run_now(
            import_code(bench="destroys", side=probe)
            + "bench.install()\nside.report_closing(bench.mark)\n"
        )
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
        return list(self.ask("side.connections()"))

    def show_plot(self) -> list[str]:
        """Run the plot cell; once it renders live, the ids of its server sessions."""
        self.page.page.bring_to_front()
        self.page.run_cell(PLOT, timeout=60)
        self.page.wait_for_plot(PLOT, timeout=30)

        def attached() -> list[str]:
            live = self.live()
            return [live[0][0]] if len(live) == 1 and live[0][1] >= 1 else []

        ids = first_truthy(attached, timeout=10)
        if not ids:
            raise RuntimeError(
                f"{self.name}: no live server session with a browser attached: {self.live()}"
            )
        return list(ids)

    def start_busy_cell(self) -> None:
        """Run the busy cell and return once the kernel is inside its sleep."""
        sent = time.time()
        self.page.run_cell(BUSY, wait=False)
        started = first_truthy(
            lambda: self.ask("globals().get('BUSY_STARTED', 0)") > sent, timeout=10, interval=0.02
        )
        if not started:
            raise RuntimeError(f"{self.name}: the busy cell did not start within 10 s")

    def wait_busy_cell_ended(self) -> None:
        """Wait until the busy cell has ended, in the kernel and in the page.

        Asked of the kernel, not read from the page's kernel status: subshells flip it.
        The anchor's destroy_server code, queued behind the busy cell, runs then.
        """
        ended = "globals().get('BUSY_ENDED', 0) >= BUSY_STARTED"
        if not first_truthy(lambda: self.ask(ended), timeout=self.plan.busy_s + 30, interval=0.1):
            raise RuntimeError(f"{self.name}: the busy cell did not end")
        if not first_truthy(lambda: not self.page.cell_running(BUSY), timeout=30):
            raise RuntimeError(f"{self.name}: the page still shows the busy cell running")

    def measure(self, busy: bool) -> Sample:
        """One repetition: show, (busy,) clear, wait for the destruction."""
        ids = self.show_plot()
        if busy:
            self.start_busy_cell()
        self.ask("bench.MARKS.clear()")
        t_clear = self.page.page.evaluate(CLEAR, PLOT) / 1000
        within = self.ask(
            f"bench.wait({ids!r}, {t_clear + self.plan.cap_s})", timeout=self.plan.cap_s + 10
        )
        times = within
        if busy:
            self.wait_busy_cell_ended()
        if not all(within.values()):
            times = self.ask(f"bench.wait({ids!r}, {time.time() + 30})", timeout=40)
        marks = self.ask("bench.MARKS")
        if first_truthy(lambda: not self.live(), timeout=30) is None:
            raise RuntimeError(f"{self.name}: server sessions still live 30 s after the clear")
        result = sample(t_clear, within, times, marks)
        if result.eventually_ms is not None:
            until = t_clear + result.eventually_ms / 1000
            result.full_gc_ms = self.ask(f"bench.full_gc_ms({t_clear}, {until})")
        if busy:
            result.busy_ended_ms = (self.ask("BUSY_ENDED") - t_clear) * 1000
        return result

    def close(self) -> None:
        self.kernel.close()
        self.page.page.context.close()


def sample(
    t_clear: float, within: dict[str, Any], times: dict[str, Any], marks: dict[str, float]
) -> Sample:
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
