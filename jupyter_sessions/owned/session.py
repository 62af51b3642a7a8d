"""``own(obj)``: the running cell owns any resource, not only the built-in kinds.

An asyncio poller, a thread, a subprocess, a server, a Dask cluster, a widget: the
cell that owns it releases it on the same triggers as every session (re-run, clear,
delete, its Close button, ``close_all()``, ``%unload_ext``, kernel shutdown), newest
first, exactly once. Each owned object is a session of kind "owned" whose one
teardown is its release (``releases.py`` says how each type is released); nothing
here has a lifecycle of its own.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, ClassVar, TypeVar

from ..core.registry import registry
from ..core.runtime import open_session
from ..core.session import Session, StillRunning
from . import things, whose
from .releases import Release, releaser

log = logging.getLogger(__name__)

T = TypeVar("T")


class Owned(Session):
    """An object owned by a cell, released by ``release`` when the cell lets it go.

    ``captured``: the cell's code started it, and capture owned it (``capture.py``);
    otherwise the cell handed it to :func:`own`.
    """

    kind: ClassVar[str] = "owned"

    def __init__(self, obj: object, how: str, release: Release, captured: bool = False) -> None:
        self.obj = obj
        self.how = how
        self.captured = captured
        self._release = release
        self._kept = False

    def _start(self) -> None:
        self._defer(self._released)

    def _released(self) -> StillRunning | None:
        """The object's one release (unless kept); a failure says why, while it still runs."""
        whose.forget(self.obj)
        if self._kept:
            return None
        try:
            return self._release()
        except Exception as exc:
            log.warning("Releasing %s failed", _type_name(self.obj), exc_info=True)
            obj = self.obj
            if not things.running(obj) or things.what(obj) == "object":
                raise  # nothing left running to list: the lifecycle logs it
            why = f"its release failed ({type(exc).__name__}: {exc})"
            return StillRunning(why, lambda: things.running(obj))

    @classmethod
    def close_ended(cls) -> int:
        """Close the captured objects that ended by themselves; returns how many."""
        ended = [
            s
            for s in registry().all()
            if isinstance(s, cls) and s.captured and not things.running(s.obj)
        ]
        return registry().close(ended)

    @classmethod
    def let_go_of(cls, obj: object) -> bool:
        """The cell lets ``obj`` go unreleased (``keep(obj)``); True if some cell held it."""
        holder = _holder(obj)
        if holder is None:
            return False
        holder._kept = True
        holder.close()
        return True

    def _label(self) -> str:
        owner = "started by this cell" if self.captured else "owned by this cell"
        return f"{_type_name(self.obj)} {_detail(self.obj)}".rstrip() + f", {owner}"

    def _view(self) -> tuple[dict[str, Any], str]:
        # One compact line: the Close button's label says what is owned.
        return {"owned": _type_name(self.obj), "release": self.how}, ""

    def _info(self) -> dict[str, Any]:
        return {
            "type": _type_name(self.obj),
            "release": self.how,
            "captured": self.captured,
            **things.describe(self.obj),
        }


def own(
    obj: T, close: object = None, *, show: bool = True, time_to_live_minutes: float | None = None
) -> T:
    """Make the running cell the owner of ``obj``; returns ``obj``.

    ``obj`` is released when the cell is re-run, its output cleared, the cell
    deleted, its Close button pressed, ``close_all()`` runs or the kernel shuts
    down: by ``close()`` if given, else as ``releases.py`` says for its type
    (cancel a task or future, SIGTERM then SIGKILL a process, ``close()``,
    ``stop()``, ... or ``__exit__``). ``show=False`` shows no line in the cell.
    ``time_to_live_minutes``: as for ``open_session``.
    TypeError, saying what to pass, when ``obj`` cannot be released. Owning an
    object that is owned already does nothing, and says so.
    """
    how, release = releaser(obj, close)
    whose.forget(obj)  # caught by capture in this cell: owned by hand instead
    holder = _holder(obj)
    if holder is not None:
        warnings.warn(
            f"{_type_name(obj)} is owned already ({holder.id}, cell "
            f"{holder.cell}); own() did nothing",
            stacklevel=2,
        )
        return obj
    open_session(Owned(obj, how, release), show=show, time_to_live_minutes=time_to_live_minutes)
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
