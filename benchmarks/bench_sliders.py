"""A slider moved in the page -> the app's Python callback -> the changed curve on the page.

Run from the repository root (needs the bench extra: ``make bench-deps``)::

    .venv/bin/python benchmarks/bench_sliders.py [--quick]

One real JupyterLab (``tests/support/jupyterlab.py``) with this project's labextension and
jupyter_bokeh's, Debian's Chromium under Playwright, and Bokeh's own
``sliders.py`` (``tests/apps/bokeh``, unchanged) opened three ways, each in its
own notebook and tab:

- **jupyter-sessions, direct**: ``open_session("sliders.py")``; the page talks to
  the kernel's embedded Bokeh server over its websocket;
- **jupyter-sessions, kernel channel**: the same, with the page's requests to the
  kernel's 127.0.0.1 and to the Jupyter server's proxy blocked, so the view goes
  over the kernel's own channel (a comm), as for a remote kernel;
- **the anchor**, what a Bokeh user has today: ``show(app, notebook_url=...)`` of
  the same script's ``Application`` (the server runs on the kernel's own loop).

And Panel's ``uv/app.py`` example (``tests/apps/panel/star_rating.py``, unchanged:
a ``pn.bind`` of its "Rating" slider to a Markdown line of stars), after
``pn.extension(inline=True)`` (no CDN here), timed until the page shows the new
number of stars, two ways:

- **jupyter-sessions, Panel, direct**: ``open_session(app)``;
- **Panel's own notebook rendering**, the second anchor: ``app`` as the cell's value
  (its messages go over Panel's comm to the kernel's main thread).

(Panel's ``fastApi/sliders`` example, a ``@param.depends`` method that changes a Bokeh
figure's data, cannot be the anchor: in Panel's notebook rendering its Python runs
but the page's curve never changes, since raw Bokeh model changes reach a notebook
page only through ``pn.io.push_notebook``.)

Each repetition sets the "offset" slider's value in the page as a drag ends
(BokehJS sends it), and times, with the page's own clock, until the curve's
ColumnDataSource in the page sits at that offset: the app's ``update_data`` ran in
the kernel and its new data came back. The same while another cell of the same
notebook computes (``time.sleep``); an answer slower than the cap is "> cap".

Prints the machine and a Markdown table; writes the same as JSON to
``benchmarks/results/sliders.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.*
warnings.filterwarnings("ignore", category=DeprecationWarning)

from comparison import OURS  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from timing import machine, machine_info, percentile  # noqa: E402

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.jupyterlab import JupyterLab  # noqa: E402
from tests.support.notebook_page import NotebookPage  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "sliders.json"
SLIDERS = ROOT / "tests" / "apps" / "bokeh" / "sliders.py"
STAR_RATING = ROOT / "tests" / "apps" / "panel" / "star_rating.py"
ANCHOR = "bokeh show(app) + jupyter_bokeh"
PANEL_ANCHOR = "Panel's notebook rendering"
VERSIONS = ("bokeh", "panel", "ipykernel", "jupyterlab", "jupyter_bokeh", "jupyter-sessions")
BROWSER_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
SETUP, PLOT, BUSY = 0, 1, 2

# Set the slider, then resolve with the milliseconds until the page shows the answer
# (`answer`, a predicate of a model; -1 after the cap).
MOVE_AND_TIME = """async ([title, value, capMs, answer]) => {
    const models = () => window.Bokeh.documents.flatMap(doc => [...doc.all_models]);
    const slider = models().find(m => m.type === "Slider" && m.title === title);
    const answered = new Function("models", "value", `return models().some(${answer})`);
    const t0 = performance.now();
    slider.value = value;
    while (!answered(models, value)) {
        if (performance.now() - t0 > capMs) return -1;
        await new Promise(resolve => requestAnimationFrame(resolve));
    }
    return performance.now() - t0;
}"""
# What answers: sliders.py's curve sits at the offset (its mean), or Panel's
# star rating shows that many stars.
CURVE_AT = """m => m.type === "ColumnDataSource" && (() => {
    const y = Array.from(m.get_column("y") ?? []);
    return y.length > 0 && Math.abs(y.reduce((a, b) => a + b, 0) / y.length - value) < 0.05;
})()"""
STARS_AT = """m => typeof m.text === "string" && m.text.includes("\u2b50".repeat(value))
    && !m.text.includes("\u2b50".repeat(value + 1))"""
SLIDER_SHOWN = """(title) => (window.Bokeh?.documents ?? []).some(doc =>
    [...doc.all_models].some(m => m.type === "Slider" && m.title === title))"""


@dataclass(frozen=True)
class Plan:
    reps: int  # moves per side, idle
    busy_reps: int  # and while another cell computes
    cap_s: float = 5.0
    busy_s: float = 60.0  # the busy cell: longer than the busy moves at their cap


FULL, QUICK = Plan(reps=40, busy_reps=10), Plan(reps=8, busy_reps=3)


@dataclass
class Side:
    name: str
    page: NotebookPage
    stars: bool  # Panel's star rating; else sliders.py's curve

    def move(self, i: int, cap_s: float) -> float | None:
        """Move the slider to its ``i``-th value (-1: the warm-up), time the answer."""
        if self.stars:
            move = ["Rating", 10 if i < 0 else 1 + i % 9, cap_s * 1000, STARS_AT]
        else:
            move = [
                "offset",
                0.5 if i < 0 else round(-2 + 4 * (i % 9) / 8, 2),
                cap_s * 1000,
                CURVE_AT,
            ]
        ms = float(self.page.page.evaluate(MOVE_AND_TIME, move))
        return None if ms < 0 else ms


def open_side(
    lab: JupyterLab,
    browser: Browser,
    name: str,
    slug: str,
    setup: str,
    plot: str,
    plan: Plan,
    unreachable: bool = False,
    stars: bool = False,
) -> Side:
    notebook = f"bench-sliders-{slug}.ipynb"
    busy = f"import time\ntime.sleep({plan.busy_s})"
    lab.write_notebook(notebook, [setup, plot, busy])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    if unreachable:  # as tests/test_browser.py's unreachable_server
        context.route(
            re.compile(r"^https?://127\.0\.0\.1:\d+/|/proxy/127\.0\.0\.1:"),
            lambda route: route.abort(),
        )
    page = NotebookPage(context.new_page(), lab.notebook_url(notebook))
    page.run_cell(SETUP, timeout=60)
    page.run_cell(PLOT, timeout=60)
    if stars:
        page.page.wait_for_function(SLIDER_SHOWN, arg="Rating", timeout=60000)
    else:
        page.wait_for_plot(PLOT, timeout=60)
    return Side(name, page, stars)


def measure(side: Side, plan: Plan, busy: bool) -> list[float | None]:
    side.page.page.bring_to_front()
    side.move(-1, plan.cap_s)  # warm: the first move compiles and allocates
    if busy:
        side.page.run_cell(BUSY, wait=False)
        deadline = time.monotonic() + 30
        while not side.page.cell_running(BUSY) and time.monotonic() < deadline:
            time.sleep(0.05)
    reps = plan.busy_reps if busy else plan.reps
    samples = [side.move(i, plan.cap_s) for i in range(reps)]
    if busy:
        side.page.command("notebook:interrupt-kernel")
        side.page.wait_idle()
    return samples


def summary(samples: list[float | None], cap_s: float) -> str:
    done = sorted(s for s in samples if s is not None)
    late = len(samples) - len(done)
    if not done:
        return f"> {cap_s:.0f} s (all {late})"
    text = f"{percentile(done, 0.5):.0f} / {percentile(done, 0.95):.0f}"
    return text + (f" ({late} of {len(samples)} > {cap_s:.0f} s)" if late else "")


def table(results: dict[str, dict[str, list[float | None]]], plan: Plan) -> str:
    lines = [
        "| slider -> changed plot (stars for Panel) on the page, p50 / p95 ms | idle "
        "| while another cell computes |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {summary(r['idle'], plan.cap_s)} | {summary(r['busy'], plan.cap_s)} |"
        for name, r in results.items()
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    plan = QUICK if parser.parse_args().quick else FULL
    results: dict[str, dict[str, list[float | None]]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        lab = JupyterLab(Path(tmp), extension=True)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            ours_setup = "from jupyter_sessions import open_session"
            ours_plot = f"s = open_session({str(SLIDERS)!r})"
            anchor_setup = (
                "from bokeh.command.util import build_single_handler_application\n"
                "from bokeh.io import output_notebook, show\n"
                "from bokeh.resources import INLINE\n"
                "output_notebook(INLINE, hide_banner=True)\n"
                f"app = build_single_handler_application({str(SLIDERS)!r})"
            )
            # inline: this machine reaches no CDN, where Panel loads its page code from.
            # The example's module, run as a module is (as __main__ it would app.show()).
            panel_setup = (
                "import panel as pn\npn.extension(inline=True)\nimport runpy\n"
                f"app = runpy.run_path({str(STAR_RATING)!r}, "
                "run_name='star_rating')['app']"
            )
            sides = [
                open_side(lab, browser, f"{OURS}, direct", "direct", ours_setup, ours_plot, plan),
                open_side(
                    lab,
                    browser,
                    f"{OURS}, kernel channel",
                    "channel",
                    ours_setup,
                    ours_plot,
                    plan,
                    unreachable=True,
                ),
                open_side(
                    lab,
                    browser,
                    ANCHOR,
                    "anchor",
                    anchor_setup,
                    f'show(app, notebook_url="localhost:{lab.port}")',
                    plan,
                ),
                open_side(
                    lab,
                    browser,
                    f"{OURS}, Panel, direct",
                    "panel",
                    f"{ours_setup}\n{panel_setup}",
                    "s = open_session(app)",
                    plan,
                    stars=True,
                ),
                open_side(
                    lab, browser, PANEL_ANCHOR, "panel-anchor", panel_setup, "app", plan, stars=True
                ),
            ]
            for side in sides:
                for busy in (False, True):
                    print(
                        f"[{time.strftime('%H:%M:%S')}] {side.name}, {'busy' if busy else 'idle'}",
                        file=sys.stderr,
                        flush=True,
                    )
                    results.setdefault(side.name, {})["busy" if busy else "idle"] = measure(
                        side, plan, busy
                    )
        finally:
            browser.close()
            lab.stop()
    print(machine(*VERSIONS))
    print(table(results, plan))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"machine": machine_info(*VERSIONS), "plan": vars(plan), "samples": results}, indent=1
        )
    )


if __name__ == "__main__":
    main()
