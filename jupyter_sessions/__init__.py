"""jupyter-sessions: live things in notebook cells, owned by the cell.

``open_session(MySession())`` in a cell; whatever the session holds is released
when that cell is re-run, its output cleared, the cell deleted, its close button
pressed, or the kernel shut down. Importing the package in an IPython kernel
installs the cell hooks (once). ``%load_ext jupyter_sessions`` also switches on
capture: every cell then owns the servers, processes, threads, tasks, pools,
clusters, callbacks and figures its code starts, with no change to the code
(``owned/capture.py``; the rules of whose a thing is: ``owned/whose.py``).

The tree shows the design: ``core/`` is the one lifecycle, and each kind of
session is a subpackage (``bokeh``, ``pymol``, ``interpreters``, ``tasks``) that
loads when one of its names is first used, so a Task-only user never imports
Bokeh, PyMOL or jupyter_client. Which thread runs what: ``core/threads.py``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .core.diagnostics import print_info, sessions
from .core.hosting import register_host
from .core.output import MIME_TYPE
from .core.runtime import close_all, close_session, ensure_installed, install, open_session
from .core.runtime import uninstall as _uninstall
from .core.session import Session, SessionError, SessionState, StillRunning

if TYPE_CHECKING:
    from .bokeh import BokehApp, BokehSession, PanelApp
    from .interpreters import (
        CommandResult,
        PersistentProcess,
        ProcessCrashed,
        ProcessTimeout,
        kill_all,
    )
    from .owned import keep, own
    from .pymol import (
        PyMOLBusy,
        PyMOLCommands,
        PyMOLCrashed,
        PyMOLError,
        PyMOLSession,
        SharedPyMOL,
        shared_pymol,
    )
    from .tasks import Job, JobError, Task

# A library logs, the application decides where logs go; without this, Python's
# last-resort handler would write warnings into whichever cell is running.
logging.getLogger(__name__).addHandler(logging.NullHandler())

try:
    __version__ = version("jupyter-sessions")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

# Each kind's public names, and the subpackage that defines them.
_KINDS = {
    "BokehApp": "bokeh",
    "BokehSession": "bokeh",
    "PanelApp": "bokeh",
    "PyMOLBusy": "pymol",
    "PyMOLCommands": "pymol",
    "PyMOLCrashed": "pymol",
    "PyMOLError": "pymol",
    "PyMOLSession": "pymol",
    "SharedPyMOL": "pymol",
    "shared_pymol": "pymol",
    "CommandResult": "interpreters",
    "PersistentProcess": "interpreters",
    "ProcessCrashed": "interpreters",
    "ProcessTimeout": "interpreters",
    "kill_all": "interpreters",
    "Job": "tasks",
    "JobError": "tasks",
    "Task": "tasks",
    "own": "owned",
    "keep": "owned",
}

__all__ = [
    "MIME_TYPE",
    "BokehApp",
    "BokehSession",
    "CommandResult",
    "Job",
    "JobError",
    "PanelApp",
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
    "StillRunning",
    "Task",
    "__version__",
    "close_all",
    "close_session",
    "keep",
    "kill_all",
    "load_ipython_extension",
    "open_session",
    "own",
    "print_info",
    "register_host",
    "sessions",
    "shared_pymol",
    "unload_ipython_extension",
]


# Apps written for other tools, hosted as they are by the kind that runs them; each
# kind loads only when such an app reaches it (core/hosting.py).
register_host(
    "jupyter_sessions.bokeh.apps",
    "host",
    "a Bokeh app: a function app(doc) of one argument as show(app) takes, a "
    "bokeh.application.Application, or the path of a .py script, an .ipynb "
    "notebook or an app directory as bokeh serve takes (argv= for its --args)",
)
register_host(
    "jupyter_sessions.bokeh.panel_apps",
    "host",
    "with Panel installed, a Panel object, anything pn.panel() shows as more than "
    "text or JSON (HoloViews, hvPlot, a DataFrame, a figure), or a function of no "
    "arguments returning one, as pn.serve takes; to show a str, a number, a dict, a "
    "list or other data as Panel shows it, wrap it in pn.panel(...)",
)


def __getattr__(name: str) -> Any:
    """Load a kind on first use of one of its names (PEP 562)."""
    package = _KINDS.get(name)
    if package is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{package}", __name__), name)
    globals()[name] = value  # next time, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built JupyterLab extension lives (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "jupyter-sessions"}]


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext jupyter_sessions``: the cell hooks, and capture switched on (idempotent).

    For every kernel: ``c.InteractiveShellApp.extensions = ["jupyter_sessions"]`` in
    ``~/.ipython/profile_default/ipython_config.py``.
    """
    install(shell)
    importlib.import_module(".owned.capture", __name__).enable(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext jupyter_sessions``: capture off, the hooks removed, every session closed."""
    capture = sys.modules.get(f"{__name__}.owned.capture")
    if capture is not None:
        capture.disable()
    _uninstall()


ensure_installed()
