"""``own(obj)``: the running cell owns any resource, not only the built-in kinds.

An asyncio poller, a thread, a subprocess, a server, a Dask cluster, a widget: the
cell that owns it releases it on the same triggers as every session (re-run, clear,
delete, its Close button, ``close_all()``, ``%unload_ext``, kernel shutdown), newest
first, exactly once. Each owned object is a session of kind "owned" whose one
teardown is its release (``releases.py`` says how each type is released); nothing
here has a lifecycle of its own.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, TypeVar

from ..core.registry import registry
from ..core.runtime import open_session
from ..core.session import Session
from .releases import Release, releaser

T = TypeVar("T")


class Owned(Session):
    """An object owned by a cell, released by ``release`` when the cell lets it go."""

    kind: ClassVar[str] = "owned"

    def __init__(self, obj: object, how: str, release: Release) -> None:
        self.obj = obj
        self.how = how
        self._release = release

    def _start(self) -> None:
        self._defer(self._release)  # the object's one release; it may answer StillRunning

    def _label(self) -> str:
        return f"{_type_name(self.obj)} {_detail(self.obj)}".rstrip() + ", owned by this cell"

    def _view(self) -> tuple[dict[str, Any], str]:
        # One compact line: the Close button's label says what is owned.
        return {"owned": _type_name(self.obj), "release": self.how}, ""

    def _info(self) -> dict[str, Any]:
        return {"type": _type_name(self.obj), "release": self.how}


def own(obj: T, close: object = None, *, show: bool = True) -> T:
    """Make the running cell the owner of ``obj``; returns ``obj``.

    ``obj`` is released when the cell is re-run, its output cleared, the cell
    deleted, its Close button pressed, ``close_all()`` runs or the kernel shuts
    down: by ``close()`` if given, else as ``releases.py`` says for its type
    (cancel a task or future, SIGTERM then SIGKILL a process, ``close()``,
    ``stop()``, ... or ``__exit__``). ``show=False`` shows no line in the cell.
    TypeError, saying what to pass, when ``obj`` cannot be released. Owning an
    object that is owned already does nothing, and says so.
    """
    how, release = releaser(obj, close)
    holder = _holder(obj)
    if holder is not None:
        warnings.warn(
            f"{_type_name(obj)} is owned already ({holder.id}, cell "
            f"{holder.cell}); own() did nothing",
            stacklevel=2,
        )
        return obj
    open_session(Owned(obj, how, release), show=show)
    return obj


def _holder(obj: object) -> Owned | None:
    for session in registry().all():
        if isinstance(session, Owned) and session.obj is obj and not session.closed:
            return session
    return None


def _type_name(obj: object) -> str:
    cls = type(obj)
    package = cls.__module__.split(".")[0].lstrip("_")  # _asyncio.Task is asyncio's Task
    return cls.__qualname__ if package == "builtins" else f"{package}.{cls.__qualname__}"


def _detail(obj: object) -> str:
    """A few words that tell this object from others of its type (a pid, a name)."""
    pid = getattr(obj, "pid", None)
    if isinstance(pid, int):
        return f"pid {pid}"
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name[:60]
    getter = getattr(obj, "get_name", None)  # asyncio tasks
    if callable(getter):
        return str(getter())[:60]
    return ""
