"""Capture against plain Jupyter: what unchanged cells leave running, and what capture costs.

Run from the repository root::

    .venv/bin/python benchmarks/bench_capture.py [--reruns 20] [--cells 200] [--only NAME]

Side by side in one run, each in REAL IPython kernels driven as JupyterLab drives
them (``cellId``, then ``deletedCells``):

1. For every tool of ``tests/support/capture_cells.py`` (Bokeh ``show(app)``, Panel, Gradio,
   Dash, uvicorn, ``http.server``, a process tree, an asyncio task, Dask, matplotlib):
   the cell run ``--reruns`` times, then deleted, in a plain kernel ("off": the
   package is imported, capture is not switched on) and with ``%load_ext
   jupyter_sessions`` ("on"). Counted by the kernel itself: listening ports,
   processes of its tree, tasks, pyplot's figures the cell's runs started.
2. The cost per cell, client side (execute_request to reply, median of ``--cells``):
   an empty cell, and a cell that starts 100 threads and 100 asyncio tasks (which
   end at once), in a kernel without the package, off, and on.

Prints the machine and two Markdown tables.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.*
warnings.filterwarnings("ignore", category=DeprecationWarning)

from timing import machine  # noqa: E402

from tests.support.capture_cells import CASES, Case, setup  # noqa: E402
from tests.support.notebook_kernel import NotebookKernel, ok  # noqa: E402

STARTS = """
import asyncio, threading
async def _tick():
    pass
threads = [threading.Thread(target=int) for _ in range(100)]
for t in threads:
    t.start()
tasks = [asyncio.ensure_future(_tick()) for _ in range(100)]
"""


def left(case: Case, capture: bool, reruns: int) -> tuple[int, int]:
    """(what runs after ``reruns`` runs of the cell, after its deletion)."""
    kernel = NotebookKernel()
    try:
        ok(kernel.run(setup(capture)))
        ok(kernel.run(case.setup, cell_id="setup"))
        before = set(kernel.value(case.count))
        for _ in range(reruns):
            ok(kernel.run(case.cell, cell_id="cell-a"))
        time.sleep(1)  # a release has 2 s at most; most take milliseconds
        after_runs = len(set(kernel.value(case.count)) - before)
        ok(kernel.run("pass", cell_id="cell-b", deleted=["cell-a"]))
        time.sleep(2.5)
        return after_runs, len(set(kernel.value(case.count)) - before)
    finally:
        kernel.close()


def cost(prelude: str, cell: str, cells: int) -> float:
    """Median ms from execute_request to its reply, for ``cell`` run ``cells`` times."""
    kernel = NotebookKernel()
    try:
        ok(kernel.run(prelude))
        samples = []
        for n in range(cells):
            started = time.perf_counter()
            ok(kernel.run(cell, cell_id=f"cell-{n % 2}"))
            samples.append(time.perf_counter() - started)
        return statistics.median(samples) * 1000
    finally:
        kernel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reruns", type=int, default=20)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--only", help="one tool of tests/capture_cells.py")
    args = parser.parse_args()
    print(machine("ipykernel", "bokeh", "panel", "gradio", "dash", "distributed"))
    print(f"\n### Each cell run {args.reruns} times, then deleted: what still runs\n")
    print("| cell, unchanged | counted | off: after runs | off: after delete |"
          " on: after runs | on: after delete |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for case in CASES:
        if args.only and case.name != args.only:
            continue
        reruns = max(args.reruns, case.runs)
        plain = left(case, False, reruns)
        caught = left(case, True, reruns)
        counts = " | ".join(str(n) for n in (*plain, *caught))
        print(f"| {case.name} | {case.count} | {counts} |", flush=True)
    print(f"\n### Cost per cell, client round trip, median of {args.cells} (ms)\n")
    print("| cell | without the package | imported, capture off | capture on | on / without |")
    print("|---|---|---|---|---|")
    for name, cell in (("empty", "pass"), ("100 threads + 100 tasks", STARTS)):
        without = cost("import os", cell, args.cells)
        off = cost(setup(False), cell, args.cells)
        on = cost(setup(True), cell, args.cells)
        print(f"| {name} | {without:.2f} | {off:.2f} | {on:.2f} | {on / without:.2f}x |",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
