"""Shared by the benchmark scripts (run as ``python benchmarks/bench_*.py``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def timed(n: int, step: Callable[[], Any]) -> list[float]:
    """Seconds per call of ``step``, ``n`` times."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


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


def wait_for(get: Callable[[], Any], timeout: float, interval: float = 0.05) -> Any:
    """Poll ``get`` until it returns something truthy; None after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
