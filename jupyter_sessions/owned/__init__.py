"""Owned objects: ``own(obj)`` makes the running cell the owner of any resource.

- ``session``: ``own()`` and the ``Owned`` kind (one session per owned object);
- ``releases``: how each type of object is released, and in which order they are tried.
"""

from __future__ import annotations

from .session import own

__all__ = ["own"]
