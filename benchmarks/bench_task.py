"""Task and Job start / terminate latency, against a plain thread and a plain Popen.

Run from the repository root::

    .venv/bin/python benchmarks/bench_task.py [--quick]

Measured in this process (no cell), alternating sides so that machine noise hits
both alike:

- **start**: from the call (``open_session(task)``, or ``Thread.start()``) until
  the first line of ``run()`` executes;
- **terminate**: from the call (``task.close()``, or ``event.set(); thread.join()``)
  until the worker thread has ended, for a cooperative task polling its stop flag
  every millisecond;
- **job terminate**: from ``job.close()`` (or ``os.killpg`` + ``wait``) until the
  job's process group is gone.

Prints the machine and a Markdown table. Target: terminate of a cooperative task
in under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from timing import machine, percentile

from jupyter_sessions import Job, Task, open_session

TARGET_TERMINATE_MS = 50.0
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]

A = TypeVar("A")
B = TypeVar("B")


class Cooperative(Task):
    """Stamps when run() starts, then polls terminating() every millisecond."""

    began = 0.0

    def run(self) -> None:
        self.began = time.perf_counter()
        while not self.terminating():
            time.sleep(0.001)


def ours_start_stop() -> tuple[float, float]:
    task = Cooperative()
    t0 = time.perf_counter()
    open_session(task)
    while not task.began:
        time.sleep(0.0001)
    start = task.began - t0
    time.sleep(0.005)
    t1 = time.perf_counter()
    task.close()
    stop = time.perf_counter() - t1
    assert task.terminated(), "the task's thread still runs"
    return start, stop


def plain_start_stop() -> tuple[float, float]:
    stop_flag = threading.Event()
    began: list[float] = []

    def work() -> None:
        began.append(time.perf_counter())
        while not stop_flag.is_set():
            time.sleep(0.001)

    thread = threading.Thread(target=work, daemon=True)
    t0 = time.perf_counter()
    thread.start()
    while not began:
        time.sleep(0.0001)
    start = began[0] - t0
    time.sleep(0.005)
    t1 = time.perf_counter()
    stop_flag.set()
    thread.join(5)
    return start, time.perf_counter() - t1


def ours_job_stop() -> float:
    job = open_session(Job(SLEEPER))
    while job.pid is None:
        time.sleep(0.001)
    t0 = time.perf_counter()
    job.close()
    return time.perf_counter() - t0


def plain_job_stop() -> float:
    process = subprocess.Popen(SLEEPER, start_new_session=True)
    t0 = time.perf_counter()
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(5)
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile of ``values`` (seconds), in ms."""
    return percentile(values, q / 100) * 1000


def alternate(n: int, ours: Callable[[], A], plain: Callable[[], B]) -> tuple[list[A], list[B]]:
    """``n`` results of each, taking turns, so that machine noise hits both alike."""
    a: list[A] = []
    b: list[B] = []
    for _ in range(n):
        a.append(ours())
        b.append(plain())
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    n, jobs = (50, 10) if args.quick else (500, 50)

    ours, plain = alternate(n, ours_start_stop, plain_start_stop)
    ours_job, plain_job = alternate(jobs, ours_job_stop, plain_job_stop)
    rows = [
        ("task start, p50 / p95 (ms)", [s for s, _ in ours], [s for s, _ in plain]),
        ("cooperative task terminate, p50 / p95 (ms)", [t for _, t in ours], [t for _, t in plain]),
        ("job terminate (process group gone), p50 / p95 (ms)", ours_job, plain_job),
    ]
    print(f"Machine: {machine()}")
    print(f"{n} tasks, {jobs} jobs per side")
    print()
    print("| measure | plain thread / Popen | jupyter-sessions Task / Job | target |")
    print("|---|---|---|---|")
    for name, mine, base in rows:
        target = ""
        if name.startswith("cooperative"):
            met = pct(mine, 95) < TARGET_TERMINATE_MS
            target = f"p95 < {TARGET_TERMINATE_MS:.0f} ms ({'met' if met else 'NOT met'})"
        print(
            f"| {name} | {pct(base, 50):.2f} / {pct(base, 95):.2f} | "
            f"{pct(mine, 50):.2f} / {pct(mine, 95):.2f} | {target} |"
        )


if __name__ == "__main__":
    main()
