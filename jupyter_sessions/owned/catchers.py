"""Where capture sees things start: a wrapper on each way a library starts one.

Each :class:`Catcher` names a method (or a module function) of a type that starts
something that runs on: a process, a thread, a listening server, a pool, a
cluster, a periodic callback, a figure. The wrapper calls the original
unchanged and then hands the object to capture (``catch``). Standard-library
catchers go in when capture is switched on; a library's go in as soon as that
library is imported (:class:`_AfterImport`), so a cell that imports Gradio and
launches an app in one go is caught too. Switching off puts every original back.

asyncio tasks are caught by a task factory on the kernel's event loop, wrapped
around whatever factory was there.

A wrapper never lets capture fail the caller: ``catch`` logs its own errors.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any

log = logging.getLogger(__name__)

Catch = Callable[[object, "FrameType | None"], None]


@dataclass(frozen=True)
class Catcher:
    """``module``'s ``attr`` ("Class.method" or "function") starts what it returns or is."""

    module: str
    attr: str
    #: Which object is caught: "self" (the instance), "result", or "figure" (the
    #: figure of the figure manager passed in: matplotlib's Gcf).
    caught: str = "self"
    #: Caught before the original runs: a thread must know its cell before it runs.
    before: bool = False


CATCHERS = (
    Catcher("subprocess", "Popen.__init__"),
    Catcher("threading", "Thread.start", before=True),
    Catcher("multiprocessing.process", "BaseProcess.start"),
    Catcher("multiprocessing.pool", "Pool.__init__"),
    Catcher("socketserver", "BaseServer.__init__"),
    Catcher("concurrent.futures.thread", "ThreadPoolExecutor.__init__"),
    Catcher("concurrent.futures.process", "ProcessPoolExecutor.__init__"),
    Catcher("tornado.tcpserver", "TCPServer.add_sockets"),
    Catcher("tornado.ioloop", "PeriodicCallback.start"),
    Catcher("bokeh.server.server", "Server.__init__"),
    Catcher("matplotlib._pylab_helpers", "Gcf._set_new_active_manager", caught="figure"),
    Catcher("distributed.deploy.cluster", "Cluster.__init__"),
    Catcher("distributed.client", "Client.__init__"),
    Catcher("gradio.blocks", "Blocks.launch"),
    Catcher("uvicorn.server", "Server.__init__"),
)

_lock = threading.RLock()
_catch: Catch | None = None
#: What was replaced: (owner, name, original), to put back.
_replaced: list[tuple[Any, str, Any]] = []
_catchable: tuple[type, ...] = ()
_finder: _AfterImport | None = None
_loops: list[tuple[asyncio.AbstractEventLoop, Any]] = []


def install(catch: Catch) -> None:
    """Wrap every catcher's target, now or when its module is imported (once)."""
    global _catch, _finder
    with _lock:
        if _catch is not None:
            return
        _catch = catch
        waiting = set()
        for catcher in CATCHERS:
            module = sys.modules.get(catcher.module)
            if module is None and not _is_stdlib(catcher.module):
                waiting.add(catcher.module)
                continue
            module = module or importlib.import_module(catcher.module)
            _wrap(module, catcher)
        _finder = _AfterImport(waiting)
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Put every original back and forget the catch."""
    global _catch, _finder, _catchable
    with _lock:
        for owner, name, original in reversed(_replaced):
            setattr(owner, name, original)
        _replaced.clear()
        _catchable = ()
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
        for loop, previous in _loops:
            if getattr(loop.get_task_factory(), "_jupyter_sessions", False):
                loop.set_task_factory(previous)
        _loops.clear()
        _catch = None


def catchable() -> tuple[type, ...]:
    """The types whose instances start things (they make what they make: ``whose.py``)."""
    return _catchable


def watch_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Catch the tasks made on ``loop`` (the kernel's), keeping its own factory inside."""
    with _lock:
        if _catch is None or any(known is loop for known, _ in _loops):
            return
        previous = loop.get_task_factory()
        loop.set_task_factory(_task_factory(previous))
        _loops.append((loop, previous))


def _task_factory(previous: Any) -> Any:
    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        if previous is not None:
            task = previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        _hand_over(task, sys._getframe(1))
        return task

    factory._jupyter_sessions = True  # type: ignore[attr-defined]
    return factory


def _wrap(module: ModuleType, catcher: Catcher) -> None:
    global _catchable
    owner: Any = module
    *path, name = catcher.attr.split(".")
    for part in path:
        owner = getattr(owner, part, None)
        if owner is None:
            log.warning("Capture: %s has no %s; not caught", catcher.module, catcher.attr)
            return
    original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name)
    if original is None:
        log.warning("Capture: %s has no %s; not caught", catcher.module, catcher.attr)
        return
    replacement = _wrapper(original, catcher)
    setattr(owner, name, replacement)
    _replaced.append((owner, name, original))
    if isinstance(owner, type) and catcher.caught == "self":
        _catchable += (owner,)


def _wrapper(original: Any, catcher: Catcher) -> Any:
    function = original.__func__ if isinstance(original, classmethod) else original

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if catcher.before:
            _hand_over(args[0], sys._getframe(1))
        result = function(*args, **kwargs)
        if not catcher.before:
            _hand_over(_pick(catcher, args, result), sys._getframe(1))
        return result

    return classmethod(wrapper) if isinstance(original, classmethod) else wrapper


def _pick(catcher: Catcher, args: Sequence[Any], result: Any) -> object:
    if catcher.caught == "result":
        return result
    if catcher.caught == "figure":  # Gcf._set_new_active_manager(cls, manager)
        return getattr(getattr(args[1], "canvas", None), "figure", None)
    return args[0]


def _hand_over(obj: object, frame: FrameType | None) -> None:
    catch = _catch
    if catch is not None and obj is not None:
        catch(obj, frame)


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names


class _AfterImport(importlib.abc.MetaPathFinder):
    """Wraps a watched library's catchers right after the library's module is executed."""

    def __init__(self, waiting: set[str]) -> None:
        self.waiting = waiting

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.waiting:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Loader(spec.loader, self._loaded)
            return spec
        return None

    def _loaded(self, module: ModuleType) -> None:
        with _lock:
            if _catch is None:
                return
            self.waiting.discard(module.__name__)
            for catcher in CATCHERS:
                if catcher.module == module.__name__:
                    _wrap(module, catcher)


class _Loader(importlib.abc.Loader):
    """The library's own loader, and the catchers wrapped once it ran the module."""

    def __init__(self, loader: Any, loaded: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._loaded = loaded

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        try:
            self._loaded(module)
        except Exception:
            log.warning("Capture: wrapping %s failed", module.__name__, exc_info=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)
