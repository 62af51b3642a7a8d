"""The cell binding: which cell is running, and closing the sessions of cells gone.

Kernel-side only, so it works in any frontend that sends a cell id (JupyterLab,
Notebook 7, VS Code): IPython's ``pre_run_cell`` event carries ``info.cell_id``
and, with IPython >= 9.16 and ipykernel >= 7.3, ``info.cell_meta``, the
execute_request metadata whose ``deletedCells`` lists cells deleted since the
last run. Before a cell runs, the sessions of that cell and of deleted cells
close. Silent executions (widgets, completions) fire no such event.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from .registry import registry

log = logging.getLogger(__name__)

_current: str | None = None


def current_cell() -> str | None:
    """The id of the cell running on the main thread, or None (no owner)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return _current


def pre_run_cell(info: Any) -> None:
    """IPython hook: close sessions of this cell and of deleted cells.

    Cells run on the main thread; code sent to a kernel subshell (ipykernel 7) runs
    this hook on the subshell's thread, where it must not change the running cell.
    """
    global _current
    cell = getattr(info, "cell_id", None)
    meta = getattr(info, "cell_meta", None) or {}
    deleted = [c for c in meta.get("deletedCells") or () if isinstance(c, str)]
    if threading.current_thread() is threading.main_thread():
        _current = cell
    gone = ([cell] if cell else []) + deleted
    if not gone:
        return
    reg = registry()
    closed = reg.close(reg.owned_by(gone))
    if closed:
        log.debug("Closed %d sessions of cells %s before running %s", closed, gone, cell)


def post_run_cell(result: Any) -> None:
    """IPython hook: no cell runs any more (on the main thread)."""
    global _current
    if threading.current_thread() is threading.main_thread():
        _current = None


def adopt_running_cell(shell: Any) -> None:
    """Own sessions by the cell that installs the hooks: its pre_run_cell came too early."""
    global _current
    parent = getattr(shell, "parent_header", None) or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    if isinstance(cell, str) and threading.current_thread() is threading.main_thread():
        _current = cell
