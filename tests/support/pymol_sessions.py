"""PyMOL sessions opened in this process (outside IPython), and a molecule to load.

For the PyMOL tests that run without a kernel (``test_pymol*.py``); each of their
modules closes what a test opened with the ``close_all_after`` fixture. The molecule
is PyMOL's own demo file, so the tests need nothing PyMOL does not ship.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from jupyter_sessions import PyMOLSession, open_session

_spec = importlib.util.find_spec("pymol")
assert _spec is not None and _spec.origin is not None
DATA = Path(_spec.origin).parent / "pymol_path" / "data"
PEPT = str(DATA / "demo" / "pept.pdb")  # one chain E, residues 1-13, 107 atoms
# Both ways a session runs PyMOL: a worker process of its own, or in this process.
MODES = [pytest.param(True, id="isolated"), pytest.param(False, id="in-process")]


def pymol(isolated: bool = True, **options: Any) -> PyMOLSession:
    """A PyMOL session opened outside any cell."""
    return open_session(PyMOLSession(isolated=isolated, **options))
