"""What ``open_session`` takes besides a Session: apps written for other tools.

People have apps already: a Bokeh ``app(doc)``, an ``Application``, a script or
directory for ``bokeh serve``, a Panel object. A kind that can run such an app
as one of its sessions registers a *host* for it: a function that returns a
Session for an object of its shapes, or None for anything else. The package's
``__init__`` registers the hosts by module name, so the core imports no kind and
a kind loads only when an object reaches its host. Hosts are asked in the order
they were registered; the first Session returned wins. Hosts that take functions
tell their shape by :func:`arity`, the one reading of a function's arguments,
which the error for what no host takes uses too: a function of the wrong arity
is refused by every host, not guessed at.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .session import Session


@dataclass(frozen=True)
class Host:
    """A kind's host: ``module.function(obj, **options)`` -> Session or None."""

    module: str
    function: str
    shapes: str  # what it takes, in words, for the error that lists every shape


_hosts: list[Host] = []
_lock = threading.Lock()


def register_host(module: str, function: str, shapes: str) -> None:
    """Let ``open_session`` host objects of ``shapes`` with ``module.function`` (once)."""
    host = Host(module, function, shapes)
    with _lock:
        if host not in _hosts:
            _hosts.append(host)


def hosted(obj: object, **options: Any) -> Session:
    """The session that runs ``obj``, from the first host that takes it (main thread).

    Raises TypeError naming what ``obj`` is (a function's arguments too) and every
    accepted shape when no host takes it; a host raises its own error (a path that
    does not exist, a script that does not compile) for an object of its shape that
    cannot run.
    """
    if isinstance(obj, type) and issubclass(obj, Session):
        raise TypeError(f"open_session() takes an instance: open_session({obj.__name__}())")
    with _lock:
        hosts = list(_hosts)
    for host in hosts:
        function = getattr(importlib.import_module(host.module), host.function)
        session: Session | None = function(obj, **options)
        if session is not None:
            return session
    shapes = "; ".join(
        ["a Session (such as a BokehSession subclass instance)", *(host.shapes for host in hosts)]
    )
    raise TypeError(f"open_session() cannot run {_described(obj)}: it takes {shapes}")


def arity(obj: object) -> int | None:
    """How many arguments ``obj`` is called with, for hosts that tell shapes by it.

    A Bokeh ``app(doc)`` takes one, a ``pn.serve`` function none. None when the
    count cannot tell a shape: ``obj`` is not a function (a class, not callable),
    is a builtin (``print``: C's signature, where one can be read at all), has no
    signature that can be read, takes any number (``*args`` and no positional
    argument it needs), or needs a keyword-only argument.
    """
    if not callable(obj) or isinstance(obj, type):
        return None
    count = _arguments(obj)
    return count if isinstance(count, int) else None


def _arguments(fn: Callable[..., object]) -> int | str:
    """The number of arguments ``fn`` needs, or why it cannot tell (for the error)."""
    if inspect.isroutine(fn) and not (inspect.isfunction(fn) or inspect.ismethod(fn)):
        return "a builtin: its arguments cannot be read"  # print, len, [].append: C's
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return "its arguments cannot be read"
    if any(p.kind is p.KEYWORD_ONLY and p.default is p.empty for p in parameters):
        return "it needs a keyword-only argument"
    needed = [p for p in parameters if p.default is p.empty and p.kind in _POSITIONAL]
    if not needed and any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return "of any number of arguments"
    return len(needed)


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _described(obj: object) -> str:
    """``obj`` in the words of the error: its type, and a function's name and arguments."""
    if isinstance(obj, str):
        return f"str {obj if len(obj) <= 40 else obj[:37] + '...'!r}"
    if isinstance(obj, type):
        return f"class {obj.__name__!r}"
    if not callable(obj):
        return type(obj).__name__
    count = _arguments(obj)
    if isinstance(count, int):
        count = f"of {count} argument{'s' if count != 1 else ''}"
    return f"{type(obj).__name__} {getattr(obj, '__name__', obj)!r} ({count})"
