"""Persistent interpreters: a Jupyter kernel process kept alive and owned by a cell.

- ``process``: :class:`PersistentProcess`, the kind (commands, completions,
  history, interrupt, restart, kill);
- ``kernel``: one kernel process the handles share (start, death, interrupt, restart);
- ``commands``: a command run on it, and the shell requests beside it;
- ``pool``: the kernels shared by key, and the watcher of idle ones.
"""

from __future__ import annotations

from .process import CommandResult, PersistentProcess, ProcessCrashed, ProcessTimeout, kill_all

__all__ = ["CommandResult", "PersistentProcess", "ProcessCrashed", "ProcessTimeout", "kill_all"]
