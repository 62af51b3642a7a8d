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
