"""jupyter-sessions against Bokeh's own ``show(app)`` with jupyter_bokeh's cleanup.

Run from the repository root::

    .venv/bin/python benchmarks/bench_bokeh.py [--quick]

Both sides run in REAL IPython kernels driven with jupyter_client the way
JupyterLab 4 drives them (``tests/support/notebook_kernel.py``): every cell is an
execute_request whose metadata carries ``cellId``, ``deletedCells`` and
``recordTiming``. A harness-side websocket client (``tests/support/bokeh_client.py``)
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

The parts: ``bokeh_sides.py`` (the two sides as the frontend sees them),
``bokeh_measures.py`` (the four measurements), ``bokeh_table.py`` (the table and
notes), and ``kernel_side/`` (the code the kernels run: ``records``, ``ours``,
``anchor``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.*
warnings.filterwarnings("ignore", category=DeprecationWarning)

from bokeh_measures import (  # noqa: E402
    FULL,
    QUICK,
    Plan,
    measure_busy,
    measure_cleanup,
    measure_open_cost,
    measure_reruns,
    measure_streak,
)
from bokeh_sides import ANCHOR, BokehSide, OursSide, Side, notebook  # noqa: E402
from bokeh_table import NA, notes, rows, to_json  # noqa: E402
from comparison import OURS, jupyter_bokeh_dispose_code, markdown  # noqa: E402
from timing import machine, machine_info  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bokeh.json"
VERSIONS = ("bokeh", "ipykernel", "jupyter_client", "jupyter_bokeh", "jupyter-sessions")


def attempt(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> dict[str, Any] | NA:
    """``fn(*args)``, or NA with the error if it failed (the other side still runs)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        print(
            f"  ! {getattr(fn, '__name__', fn)} failed: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
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
    logs: list[Path] = []

    def kernel(group: str) -> contextlib.AbstractContextManager[Side]:
        log = RESULTS.parent / f"kernel-{kind.slug}-{group}.log"
        log.unlink(missing_ok=True)
        logs.append(log)
        return notebook(kind, log)

    results: dict[str, Any] = {}
    progress(f"{kind.name}: open cost, cleanup latency, busy cell")
    with kernel("rows-1-2-4") as side:
        results["open"] = attempt(measure_open_cost, side, plan)
        results["cleanup"] = attempt(measure_cleanup, side, plan)
        results["busy"] = attempt(measure_busy, side, plan)
    progress(f"{kind.name}: {plan.streak} re-runs in a row against first opens")
    with kernel("streak") as side:
        results["streak"] = attempt(measure_streak, side, plan)
    progress(f"{kind.name}: {plan.reruns} re-runs")
    with kernel("reruns") as side:
        results["reruns"] = attempt(measure_reruns, side, plan)
    if kind is BokehSide:
        progress(f"{kind.name}: {plan.reruns} re-runs without cleanup")
        with kernel("no-cleanup") as side:
            results["no_cleanup"] = attempt(
                measure_reruns, side, plan, cleanup=False, browse_every=0
            )
    results["kernel_errors"] = kernel_errors(logs)
    results["kernel_logs"] = [str(log.relative_to(ROOT)) for log in logs]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer samples and 200 re-runs instead of 1000 (~90 s)"
    )
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    BokehSide.dispose_code = jupyter_bokeh_dispose_code()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    info = machine_info(*VERSIONS)
    ours = run_side(OursSide, plan)
    anchor = run_side(BokehSide, plan)
    table = rows(ours, anchor, plan)
    elapsed = time.monotonic() - started
    mode = "quick" if args.quick else "full"
    print(f"Machine: {machine(*VERSIONS)}")
    print(f"Mode: {mode}; run took {elapsed:.0f} s\n")
    print(markdown(table, ANCHOR))
    print("\nNotes:")
    for note in notes(plan, BokehSide.dispose_code):
        print(f"- {note}")
    RESULTS.write_text(
        json.dumps(
            {
                "machine": info,
                "mode": mode,
                "plan": asdict(plan),
                "seconds": round(elapsed, 1),
                "table": [asdict(r) for r in table],
                "notes": notes(plan, BokehSide.dispose_code),
                "raw": {OURS: to_json(ours), ANCHOR: to_json(anchor)},
            },
            indent=2,
        )
    )
    print(f"\nWrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
