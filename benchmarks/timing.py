"""Shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``).

- :func:`machine`: the line every benchmark prints first, so results can be compared
  (:func:`machine_info`: the same as data, for a JSON result);
- :func:`percentile` and :func:`median`: the one way a benchmark summarises samples;
- :func:`timed`: seconds per call;
- :func:`first_truthy`: poll until something holds, without failing (a benchmark
  records what did not happen; ``tests/support/waits.py``'s ``wait_for`` fails a test).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psutil

T = TypeVar("T")


def machine_info(*packages: str) -> dict[str, Any]:
    """This machine and run as plain data: CPU, cores, RAM, OS, Python, 1-min load average,
    and the installed version of each of ``packages`` ("not installed" if missing)."""
    cpu = platform.processor() or platform.machine() or "unknown"
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
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average": round(os.getloadavg()[0], 2),
        **{name: version(name) for name in packages},
    }


def machine(*packages: str) -> str:
    """One line describing this machine and run: CPU, cores, RAM; OS; Python and the
    versions of ``packages``; 1-min load average (the same as :func:`machine_info`)."""
    info = machine_info(*packages)
    versions = "".join(f", {name} {info[name]}" for name in packages)
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; {info['os']}; "
        f"Python {info['python']}{versions}; load average {info['load_average']:.2f}"
    )


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linearly interpolated; ``inf`` stays ``inf``
    (a sample that hit its cap)."""
    data = sorted(values)
    if not data:
        raise ValueError("no values")
    k = (len(data) - 1) * q
    low, high = int(k), min(int(k) + 1, len(data) - 1)
    if k == low or data[low] == data[high]:
        return data[low]
    return data[low] + (data[high] - data[low]) * (k - low)


def median(values: list[float]) -> float:
    """The middle of ``values`` (the mean of the two middle ones for an even count)."""
    return percentile(values, 0.5)


def timed(n: int, step: Callable[[], Any]) -> list[float]:
    """Seconds per call of ``step``, ``n`` times."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def first_truthy(get: Callable[[], T], timeout: float, interval: float = 0.05) -> T | None:
    """Call ``get`` every ``interval`` s until it returns something truthy, and return that;
    None if it did not within ``timeout`` s (never raises on a timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
