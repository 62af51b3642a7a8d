"""jupyter-sessions: live things in notebook cells, owned by the cell.

``open_session(MySession())`` in a cell; whatever the session holds is released
when that cell is re-run, its output cleared, the cell deleted, its close button
pressed, or the kernel shut down. Importing the package in an IPython kernel
installs the cell hooks (once); ``%load_ext jupyter_sessions`` does the same.

Which thread runs what is documented in ``jupyter_sessions.kernel``.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import cells
from .bokeh_session import BokehSession
from .diagnostics import print_info, sessions
from .job import Job, JobError
from .kernel import close_all, close_session, open_session
from .output import MIME_TYPE
from .process_session import (
    CommandResult,
    PersistentProcess,
    ProcessCrashed,
    ProcessTimeout,
    kill_all,
)
from .pymol_local import PyMOLBusy, SharedPyMOL, shared_pymol
from .pymol_session import PyMOLCommands, PyMOLCrashed, PyMOLError, PyMOLSession
from .session import Session, SessionError, SessionState
from .task import Task

# A library logs, the application decides where logs go; without this, Python's
# last-resort handler would write warnings into whichever cell is running.
logging.getLogger(__name__).addHandler(logging.NullHandler())

try:
    __version__ = version("jupyter-sessions")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "MIME_TYPE",
    "BokehSession",
    "CommandResult",
    "Job",
    "JobError",
    "PersistentProcess",
    "ProcessCrashed",
    "ProcessTimeout",
    "PyMOLBusy",
    "PyMOLCommands",
    "PyMOLCrashed",
    "PyMOLError",
    "PyMOLSession",
    "Session",
    "SessionError",
    "SessionState",
    "SharedPyMOL",
    "Task",
    "__version__",
    "close_all",
    "close_session",
    "kill_all",
    "load_ipython_extension",
    "open_session",
    "print_info",
    "sessions",
    "shared_pymol",
    "unload_ipython_extension",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-sessions"}]


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext jupyter_sessions``: install the cell hooks (idempotent)."""
    cells.install(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext jupyter_sessions``: remove the hooks and close every session."""
    cells.uninstall()


cells.ensure_installed()
