"""PyMOL sessions: a PyMOL owned by a cell, isolated in a worker process by default.

- ``session``: :class:`PyMOLSession`, the kind;
- ``commands``: ``s.cmd``, PyMOL's command API bound to one PyMOL, and its errors;
- ``isolated``: the kernel's handle on a worker process, and the reaper thread;
- ``worker``: what runs in a worker (a script: the standard library and PyMOL only);
- ``in_kernel``: PyMOL in the kernel's own process, started once and reused;
- ``shared``: ``shared_pymol()``, PyMOL's global instance, one holder at a time.
"""

from __future__ import annotations

from .commands import PyMOLCommands, PyMOLCrashed, PyMOLError
from .session import PyMOLSession
from .shared import PyMOLBusy, SharedPyMOL, shared_pymol

__all__ = [
    "PyMOLBusy",
    "PyMOLCommands",
    "PyMOLCrashed",
    "PyMOLError",
    "PyMOLSession",
    "SharedPyMOL",
    "shared_pymol",
]
