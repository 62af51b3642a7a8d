"""Tasks and jobs: background work owned by a cell (after ChimeraX's tasks).

- ``task``: :class:`Task`, work on a thread or any executor, with progress;
- ``running``: where a task's ``run()`` runs (a thread or an executor), and its stop;
- ``progress``: what ``run()`` last reported, and its status line, progress bar and
  output area in its cell;
- ``job``: :class:`Job`, a subprocess in a process group of its own;
- ``guardian``: a job's process group dies with its kernel, even a SIGKILLed one.
"""

from __future__ import annotations

from .job import Job, JobError
from .task import Task

__all__ = ["Job", "JobError", "Task"]
