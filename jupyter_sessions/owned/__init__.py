"""Owned objects: ``own(obj)`` makes the running cell the owner of any resource.

- ``session``: ``own()`` and the ``Owned`` kind (one session per owned object);
- ``releases``: how each type of object is released, and in which order they are tried;
- ``processes``: process trees, ended whole and measured;
- ``things``: what an owned object is, for people (its kind, port, pid, cost);
- ``capture``: the switch, and owning what a cell's code starts (``%load_ext``);
- ``catchers``: where capture sees things start; ``whose``: the rules of whose they are.
"""

from __future__ import annotations

from .capture import keep
from .session import own

__all__ = ["keep", "own"]
