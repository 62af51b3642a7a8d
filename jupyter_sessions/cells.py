"""The cell binding: which cell is running, and closing the sessions of cells gone.

Kernel-side only, so it works in any frontend that sends a cell id (JupyterLab,
Notebook 7, VS Code): IPython's ``pre_run_cell`` event carries ``info.cell_id``
and, with IPython >= 9.16 and ipykernel >= 7.3, ``info.cell_meta``, the
execute_request metadata whose ``deletedCells`` lists cells deleted since the
last run. Before a cell runs, the sessions of that cell and of deleted cells
close. Silent executions (widgets, completions) fire no such event.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from typing import Any

from . import kernel

log = logging.getLogger(__name__)

_current: str | None = None
_shell: Any = None
_lock = threading.Lock()


def in_ipython() -> bool:
    """True inside an IPython shell (a kernel or the terminal)."""
    from IPython import get_ipython

    return get_ipython() is not None


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
    registry = kernel.registry()
    closed = registry.close(registry.owned_by(gone))
    if closed:
        log.debug("Closed %d sessions of cells %s before running %s", closed, gone, cell)


def post_run_cell(result: Any) -> None:
    """IPython hook: no cell runs any more (on the main thread)."""
    global _current
    if threading.current_thread() is threading.main_thread():
        _current = None


def install(shell: Any) -> None:
    """Register the hooks on ``shell`` once; calling again does nothing."""
    global _shell
    with _lock:
        if _shell is shell:
            return
        if _shell is not None:
            _unregister(_shell)
        shell.events.register("pre_run_cell", pre_run_cell)
        shell.events.register("post_run_cell", post_run_cell)
        _shell = shell
        _adopt_running_cell(shell)
    atexit.unregister(kernel.shutdown)
    atexit.register(kernel.shutdown)
    from . import channel  # here, not at the top: channel -> diagnostics -> cells

    channel.register()
    log.debug("jupyter-sessions hooks installed on %r", shell)


def uninstall() -> None:
    """Remove the hooks and close every session (``%unload_ext``)."""
    global _shell
    with _lock:
        if _shell is not None:
            _unregister(_shell)
        _shell = None
    atexit.unregister(kernel.shutdown)
    kernel.shutdown()


def ensure_installed() -> None:
    """Install the hooks on the running IPython shell, if there is one."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        install(shell)


def _adopt_running_cell(shell: Any) -> None:
    """Own sessions by the cell that installs the hooks: its pre_run_cell came too early."""
    global _current
    parent = getattr(shell, "parent_header", None) or {}
    cell = (parent.get("metadata") or {}).get("cellId")
    if isinstance(cell, str) and threading.current_thread() is threading.main_thread():
        _current = cell


def _unregister(shell: Any) -> None:
    for name, hook in (("pre_run_cell", pre_run_cell), ("post_run_cell", post_run_cell)):
        with contextlib.suppress(ValueError):  # not registered: nothing to undo
            shell.events.unregister(name, hook)
