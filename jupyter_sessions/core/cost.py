"""What a session costs: CPU seconds and memory of the processes it runs, for people.

Read where something asks (``sessions()``, the side panel), never sampled in the
background: a kernel nobody looks at measures nothing. A session that names a
process (a ``pid`` in its row: an isolated PyMOL worker, a persistent interpreter's
kernel, a job, a process a cell started) costs what that process and its
descendants use; their memory is resident memory (RSS), so pages shared between
them are counted in each.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """``pid`` and its descendants, root first ([] once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def of_tree(pid: int) -> dict[str, Any]:
    """CPU seconds and resident memory of ``pid``'s whole tree, and how many processes."""
    processes = tree(pid)
    cpu = 0.0
    rss = 0
    for process in processes:
        with contextlib.suppress(psutil.Error), process.oneshot():
            times = process.cpu_times()
            cpu += times.user + times.system
            rss += process.memory_info().rss
    return {
        "processes": len(processes),
        "cpu_s": round(cpu, 2),
        "memory_mb": round(rss / 2**20, 1),
    }
