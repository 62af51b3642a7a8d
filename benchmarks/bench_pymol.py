"""PyMOL sessions against raw ``pymol2.PyMOL()``: open+close, round trip, memory creep.

Run from the repository root::

    .venv/bin/python benchmarks/bench_pymol.py [--quick]

Every measurement runs in a fresh Python process of its own (this script with
``--case``), so that one side's leaks and caches never count against the other.
Sessions are opened outside IPython, as a script would: no cell, no output (the
cell output costs the same for every session kind and is not PyMOL's). Memory is
the process's USS (unique set size, psutil) after ``gc.collect()``, after a
warm-up, divided by the number of sessions; for isolated sessions that is the
kernel side (each worker process ends with its session and is checked to be gone).

Prints the machine and a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from timing import machine, median, percentile, timed

MARK = "RESULT "
TARGET_READY_MS = 500.0
TARGET_ROUND_TRIP_MS = 2.0
TARGET_CREEP_BYTES = 1024.0
TARGET_OPEN_RATIO = 1.5


@dataclass(frozen=True)
class Plan:
    """How many samples each measurement takes."""

    open_close: int
    isolated_open_close: int
    fresh_processes: int
    round_trips: int
    creep: int
    isolated_creep: int


FULL = Plan(
    open_close=2000,
    isolated_open_close=100,
    fresh_processes=30,
    round_trips=10_000,
    creep=10_000,
    isolated_creep=1000,
)
QUICK = Plan(
    open_close=500,
    isolated_open_close=30,
    fresh_processes=10,
    round_trips=2000,
    creep=2000,
    isolated_creep=200,
)


def pept() -> str:
    """A structure that ships inside the pymol wheel (no network here)."""
    import importlib.util

    spec = importlib.util.find_spec("pymol")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent / "pymol_path" / "data" / "demo" / "pept.pdb")


# -- the cases, each run in its own process ----------------------------------------------


def uss() -> int:
    gc.collect()
    return int(psutil.Process().memory_full_info().uss)


def creep(n: int, warmup: int, session: Callable[[], None]) -> dict[str, Any]:
    for _ in range(warmup):
        session()
    before = uss()
    for _ in range(n):
        session()
    return {"bytes_per_session": (uss() - before) / n, "sessions": n}


def case(name: str, n: int) -> dict[str, Any]:
    """One measurement; runs in a fresh process."""
    path = pept()
    if name.startswith("raw"):
        import pymol2

        def raw_open_close() -> None:
            p = pymol2.PyMOL()
            p.start()
            p.stop()

        def raw_session() -> None:
            with pymol2.PyMOL() as p:  # the seed's loop
                p.cmd.load(path)

        if name == "raw-open-close":
            timed(50, raw_open_close)
            return {"times": timed(n, raw_open_close)}
        if name == "raw-round-trip":
            p = pymol2.PyMOL()
            p.start()
            p.cmd.load(path)
            return {"times": timed(n, lambda: p.cmd.count_atoms("all"))}
        return creep(n, 200, raw_session)

    from jupyter_sessions import PyMOLSession, open_session

    isolated = name.endswith("isolated")
    warmup = 20 if isolated else 200

    def ours() -> None:
        s = open_session(PyMOLSession(isolated=isolated))
        s.cmd.load(path)
        s.close()

    if name.startswith("open-close"):
        timed(5 if isolated else 50, lambda: open_session(PyMOLSession(isolated=isolated)).close())
        opened, closed = [], []
        for _ in range(n):
            start = time.perf_counter()
            s = open_session(PyMOLSession(isolated=isolated))
            middle = time.perf_counter()
            s.close()
            opened.append(middle - start)
            closed.append(time.perf_counter() - middle)
        return {"open": opened, "close": closed}
    if name.startswith("round-trip"):
        s = open_session(PyMOLSession(isolated=isolated))
        s.cmd.load(path)
        timed(100, lambda: s.cmd.count_atoms("all"))
        return {"times": timed(n, lambda: s.cmd.count_atoms("all"))}
    result = creep(n, warmup, ours)
    result["processes_left"] = len(psutil.Process().children())
    return result


def fresh_process(n: int) -> dict[str, Any]:
    """The floor for any isolated PyMOL: a new Python that imports and starts pymol2."""
    code = "import pymol2\np = pymol2.PyMOL()\np.start()"
    return {
        "times": timed(
            n, lambda: subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        )
    }


# -- orchestration -------------------------------------------------------------------------


def run_case(name: str, n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", name, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith(MARK)]
    return dict(json.loads(lines[-1][len(MARK) :]))


def ms(values: list[float]) -> str:
    """The median of ``values`` (seconds) in ms."""
    return f"{median(values) * 1e3:.2f}"


def us(values: list[float]) -> str:
    """The median of ``values`` (seconds) in µs."""
    return f"{median(values) * 1e6:.1f}"


def main(plan: Plan) -> None:
    r = {
        "raw-oc": run_case("raw-open-close", plan.open_close),
        "local-oc": run_case("open-close-local", plan.open_close),
        "iso-oc": run_case("open-close-isolated", plan.isolated_open_close),
        "fresh": fresh_process(plan.fresh_processes),
        "raw-rt": run_case("raw-round-trip", plan.round_trips),
        "local-rt": run_case("round-trip-local", plan.round_trips),
        "iso-rt": run_case("round-trip-isolated", plan.round_trips),
        "raw-mem": run_case("raw-creep", plan.creep),
        "local-mem": run_case("creep-local", plan.creep),
        "iso-mem": run_case("creep-isolated", plan.isolated_creep),
    }
    raw_oc = median(r["raw-oc"]["times"])
    local_oc = [a + b for a, b in zip(r["local-oc"]["open"], r["local-oc"]["close"], strict=True)]
    iso_oc = [a + b for a, b in zip(r["iso-oc"]["open"], r["iso-oc"]["close"], strict=True)]
    ratio = median(local_oc) / raw_oc
    ready = r["iso-oc"]["open"]
    iso_rt = median(r["iso-rt"]["times"])

    def kb(key: str) -> str:
        row = r[key]
        return f"{row['bytes_per_session'] / 1024:.2f} KB ({row['sessions']:,} sessions)"

    def mb(key: str) -> str:
        return f"{r[key]['bytes_per_session'] * 10_000 / 2**20:.1f} MB"

    worst_creep = max(r["local-mem"]["bytes_per_session"], r["iso-mem"]["bytes_per_session"])
    rows = [
        (
            "open + close one session, median ms",
            ms(r["raw-oc"]["times"]),
            ms(local_oc),
            ms(iso_oc),
            f"in-process <= {TARGET_OPEN_RATIO}x raw",
            f"{ratio:.2f}x raw: {'met' if ratio <= TARGET_OPEN_RATIO else 'MISSED'}",
        ),
        (
            "isolated worker ready (open), median / p95 ms",
            f"{ms(r['fresh']['times'])} (a fresh python starting pymol2)",
            "n/a",
            f"{ms(ready)} / {percentile(ready, 0.95) * 1e3:.0f}",
            f"< {TARGET_READY_MS:.0f} ms",
            "met" if percentile(ready, 0.95) * 1e3 < TARGET_READY_MS else "MISSED",
        ),
        (
            "close, median ms",
            "(in open + close)",
            ms(r["local-oc"]["close"]),
            ms(r["iso-oc"]["close"]),
            "",
            "",
        ),
        (
            "one command round trip (count_atoms), median µs",
            us(r["raw-rt"]["times"]),
            us(r["local-rt"]["times"]),
            us(r["iso-rt"]["times"]),
            f"isolated < {TARGET_ROUND_TRIP_MS:.0f} ms",
            "met" if iso_rt * 1e3 < TARGET_ROUND_TRIP_MS else "MISSED",
        ),
        (
            "memory creep per session (each loads pept.pdb)",
            kb("raw-mem"),
            kb("local-mem"),
            kb("iso-mem"),
            f"< {TARGET_CREEP_BYTES / 1024:.0f} KB",
            "met" if worst_creep < TARGET_CREEP_BYTES else "MISSED",
        ),
        ("memory creep per 10,000 sessions", mb("raw-mem"), mb("local-mem"), mb("iso-mem"), "", ""),
        (
            "worker processes left after the creep run",
            "n/a",
            "0",
            str(r["iso-mem"]["processes_left"]),
            "0",
            "",
        ),
    ]
    print(f"Machine: {machine('pymol-open-source')}\n")
    print(
        "| measurement | raw pymol2.PyMOL() | jupyter-sessions in-process | "
        "jupyter-sessions isolated | target | result |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute)")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(MARK + json.dumps(case(args.case, args.n)))
    else:
        main(QUICK if args.quick else FULL)
