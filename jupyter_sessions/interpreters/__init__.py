"""Persistent interpreters: a Jupyter kernel process kept alive and owned by a cell.

- ``process``: :class:`PersistentProcess`, the kind (commands, completions,
  history, interrupt, restart, kill);
- ``pool``: kernel processes shared by key, and the one loop that runs a command.
"""

from __future__ import annotations

from .process import CommandResult, PersistentProcess, ProcessCrashed, ProcessTimeout, kill_all

__all__ = ["CommandResult", "PersistentProcess", "ProcessCrashed", "ProcessTimeout", "kill_all"]
