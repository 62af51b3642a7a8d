"""bench_bokeh's table and notes, from both sides' raw results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bokeh_measures import BROWSE_EVERY, BUSY_SECONDS, PERIOD, Plan
from bokeh_sides import ANCHOR
from comparison import OURS, Row, verdict
from timing import median, percentile

from tests.support.bokeh_client import DEFAULT_ORIGIN


@dataclass(frozen=True)
class NA:
    """A value that could not be measured, and why."""

    reason: str


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


def check(result: Any, test: Callable[[Any], Any]) -> bool | None:
    if isinstance(result, NA):
        return None
    try:
        return bool(test(result))
    except (KeyError, ValueError, TypeError):
        return None


def paired(
    metric: str,
    ours: Any,
    anchor: Any,
    render: Callable[[Any], str],
    target: str = "",
    test: Callable[[Any], Any] | None = None,
) -> Row:
    """A row rendering the same field of both sides, with a pass/fail if ``test``."""
    passed = {} if test is None else {OURS: check(ours, test), ANCHOR: check(anchor, test)}
    return Row(
        metric,
        cell_text(ours, render) + verdict(passed.get(OURS)),
        cell_text(anchor, render) + verdict(passed.get(ANCHOR)),
        target,
        passed,
    )


def rows(ours: dict[str, Any], anchor: dict[str, Any], plan: Plan) -> list[Row]:
    n, base = plan.reruns, plan.baseline_after

    def open_cost(r: dict[str, Any]) -> str:
        return f"{r['median_ms']:.1f} / {r['p95_ms']:.1f} (empty cell {r['empty_ms']:.1f})"

    def rerun_cost(r: dict[str, Any]) -> str:
        ratio = r["rerun_median_ms"] / r["median_ms"] if r["median_ms"] > 0 else float("nan")
        return f"{r['rerun_median_ms']:.1f} / {r['rerun_p95_ms']:.1f} ({ratio:.2f}x its first open)"

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
        return (
            f"{f['servers']} servers, {f['listening']} listening sockets "
            f"({b['listening']} after {base}), {f['threads']} threads, "
            f"RSS +{r['rss_growth_mb']:.1f} MB, re-run {r['first_ms']:.0f} -> "
            f"{r['last_ms']:.0f} ms"
        )

    def streak(r: dict[str, Any]) -> str:
        return f"{median(r['rerun_ms']):.1f} / {median(r['first_ms']):.1f} ({r['ratio']:.2f}x)"

    def constant(field_name: str) -> Callable[[dict[str, Any]], bool]:
        return lambda r: bool(r["final"][field_name] == r["baseline"][field_name])

    o, a = ours, anchor
    return [
        paired(
            "1. Kernel-side cost of opening, median / p95 (ms over the empty cell)",
            o["open"],
            a["open"],
            open_cost,
        ),
        paired(
            "1. Kernel-side cost of a re-run (close the old, open the new), median / p95 "
            "(ms over the empty cell)",
            o["open"],
            a["open"],
            rerun_cost,
        ),
        paired(
            "2. Cleanup latency, re-run reached kernel -> old callbacks stopped, p50 / p95 (ms)",
            o["cleanup"],
            a["cleanup"],
            stopped,
        ),
        paired(
            "2. Old app's periodic-callback ticks after it was stopped (all re-runs)",
            o["cleanup"],
            a["cleanup"],
            lambda r: f"{r['late_ticks']} in {r['n']} re-runs",
            "0",
            lambda r: r["late_ticks"] == 0 and r["stop_ms"],
        ),
        paired(
            "2. Server sessions destroyed, re-run reached kernel -> destroyed, p50 / p95 (ms)",
            o["cleanup"],
            a["cleanup"],
            destroyed,
        ),
        paired(
            "2. Old output's websocket closed by the server on re-run",
            o["cleanup"],
            a["cleanup"],
            closed_by_server,
        ),
        paired(
            f"3. Live sessions after {n} re-runs",
            o["reruns"],
            a["reruns"],
            lambda r: str(r["final"]["sessions"]),
            "exactly 1",
            lambda r: r["final"]["sessions"] == 1,
        ),
        paired(
            f"3. Bokeh servers after {n} re-runs",
            o["reruns"],
            a["reruns"],
            lambda r: str(r["final"]["servers"]),
            "exactly 1",
            lambda r: r["final"]["servers"] == 1,
        ),
        paired(
            f"3. Threads, after {base} -> after {n} re-runs",
            o["reruns"],
            a["reruns"],
            held("threads"),
            "constant",
            constant("threads"),
        ),
        paired(
            f"3. Listening TCP sockets of the kernel, after {base} -> after {n}",
            o["reruns"],
            a["reruns"],
            held("listening"),
            "constant",
            constant("listening"),
        ),
        paired(
            f"3. RSS growth from re-run {base} to {n} (MB, after gc.collect)",
            o["reruns"],
            a["reruns"],
            lambda r: f"{r['rss_growth_mb']:+.1f}",
            "< 10 MB",
            lambda r: r["rss_growth_mb"] < 10,
        ),
        paired(
            f"3. Open comms (ipywidgets) in the kernel, after {base} -> after {n}",
            o["reruns"],
            a["reruns"],
            held("comms"),
            "constant",
            constant("comms"),
        ),
        paired(
            "3. Re-run round trip incl. cleanup, p50 / p95 / mean (ms), old output HAD a browser",
            o["reruns"],
            a["reruns"],
            round_trip("browsed_ms"),
        ),
        paired(
            "3. Re-run round trip incl. cleanup, p50 / p95 / mean (ms), old output had NO browser",
            o["reruns"],
            a["reruns"],
            round_trip("unbrowsed_ms"),
        ),
        paired(
            "3. Re-run round trip, median of first / last 100 re-runs (ms; drift)",
            o["reruns"],
            a["reruns"],
            lambda r: f"{r['first_ms']:.1f} / {r['last_ms']:.1f}",
        ),
        Row(
            f"3. Same {n} re-runs WITHOUT cleanup (plain show(app), no browser)",
            "n/a (not applicable: the cell binding always closes the old session)",
            cell_text(a.get("no_cleanup", NA("not run")), no_cleanup),
        ),
        paired(
            "4. Periodic-callback ticks during a busy cell (sleep 2 s), % of nominal",
            o["busy"],
            a["busy"],
            lambda r: f"{r['tick_pct']:.0f} % ({r['ticks']}/{r['nominal_ticks']:.0f})",
            ">= 95 %",
            lambda r: r["tick_pct"] >= 95,
        ),
        paired(
            "4. PATCH-DOC messages the browser got during the busy cell, % of nominal",
            o["busy"],
            a["busy"],
            lambda r: f"{r['patch_pct']:.0f} % ({r['patches']}/{r['nominal_patches']:.0f})",
            ">= 95 %",
            lambda r: r["patch_pct"] >= 95,
        ),
        paired(
            f"5. One cell re-run {plan.streak} times in a row, no page: re-run / first "
            "open round trip, median (ms)",
            o["streak"],
            a["streak"],
            streak,
            "re-run <= 1.2x first open",
            lambda r: r["ratio"] <= 1.2,
        ),
        Row(
            "Tracebacks in the kernels' stderr during this benchmark",
            errors(o["kernel_errors"]),
            errors(a["kernel_errors"]),
        ),
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
        "its server sessions are gone before the next sample. Each opened cell is re-run "
        "once it is ready (jupyter-sessions: its first view made), timed too (Bokeh: "
        "jupyter_bokeh's destroy_server sent just before). Bokeh builds its document only "
        "when a browser connects (later, on the kernel's loop); jupyter-sessions builds the "
        "first view on its server thread, 0.25 s after the cell's reply when no page is "
        "connected, at once when one is.",
        f"Row 2: {plan.cleanup_reps} re-runs, each once the old app ticked twice. t0 = "
        "in-kernel start (pre_execute) of the re-run's first execution. Stopped = "
        "jupyter-sessions' registry 'removed' event, or destroy_server returning. Destroyed = "
        "a kernel watcher thread saw every old Bokeh server session destroyed "
        "(jupyter-sessions hands them to its server thread once the re-run's cell has "
        "replied, and discards them a few ms later: bokeh/server/teardown.py).",
        f"Row 3: {plan.reruns} re-runs of one cell; a browser connects to every "
        f"{BROWSE_EVERY}th output (every one would not fit the time budget: each connection "
        "builds and later destroys a Bokeh document, and Bokeh's Document.destroy runs a "
        f"full gc.collect()); baseline after re-run {plan.baseline_after}; RSS and LISTEN "
        "sockets via psutil on the kernel pid after gc.collect() in the kernel; tick logging "
        "off. Bokeh's show(app) builds no document for an output no browser loaded, and each "
        "of its servers listens on 0.0.0.0 and :: (two sockets); "
        "jupyter-sessions, with no page connected (no extension here), builds a first view "
        "0.25 s after the cell's reply, so a re-run that comes sooner builds none (a "
        "browser that connects has it built at once). The no-cleanup run connects no "
        "browser (each of its sessions would keep ticking on the kernel loop).",
        f"Row 4: {plan.busy_reps} busy cells of time.sleep({BUSY_SECONDS:g}) in another cell, "
        f"period {PERIOD} s. Ticks counted in-kernel inside each busy cell; PATCH-DOC counted "
        f"by the browser during {BUSY_SECONDS:g} s after each busy cell was sent.",
        'Row 5: as a user measures "Run all" of a notebook with no page: '
        f"{plan.streak} first opens (each in a new cell, closed untimed before the next), "
        f"then one cell re-run {plan.streak} times back to back (Bokeh: jupyter_bokeh's "
        "destroy_server sent just before each); whole round trips, nothing waited for "
        "between re-runs.",
        "The machine runs other work at the same time: timings are noisy. Kernel stderr "
        "logs: benchmarks/results/kernel-*.log. Kernel-side code: benchmarks/kernel_side/.",
    ]


def to_json(value: Any) -> Any:
    """``value`` with every NA replaced by ``{"n/a": reason}``."""
    if isinstance(value, NA):
        return {"n/a": value.reason}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value
