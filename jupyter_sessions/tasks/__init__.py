"""Tasks and jobs: background work owned by a cell (after ChimeraX's tasks).

- ``task``: :class:`Task`, work on a thread or any executor, with progress;
- ``job``: :class:`Job`, a subprocess in a process group of its own;
- ``progress``: a task's status line, progress bar and output area in its cell.
"""

from __future__ import annotations

from .job import Job, JobError
from .task import Task

__all__ = ["Job", "JobError", "Task"]
